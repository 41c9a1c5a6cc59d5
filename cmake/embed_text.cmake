# Embeds a text file in the program as a C array (used for docs/openapi.yaml).
# Usage: cmake -DIN=FILE -DOUT=FILE.c -DNAME=SYMBOL -P embed_text.cmake
# Defines `const char SYMBOL[]` (NUL-terminated) and `const size_t SYMBOL_len`.
# The file must be ASCII, so that the array needs no casts.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR len "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX MATCH "0x[89a-f][0-9a-f]" high "${bytes}")
if(high)
  message(FATAL_ERROR "${IN} has a byte outside ASCII (${high}); keep it ASCII")
endif()
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}" "/* Generated from ${IN} by cmake/embed_text.cmake: do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const char ${NAME}[];\nextern const size_t ${NAME}_len;\n"
  "const char ${NAME}[] = {\n${bytes}0};\n"
  "const size_t ${NAME}_len = ${len};\n")
