-- wrk script: POST one PHQ-9 response (total 12, moderate) to /api/v1/score/phq9.
wrk.method = "POST"
wrk.body = '{"items":[1,2,1,0,3,1,2,1,1]}'
wrk.headers["Content-Type"] = "application/json"
