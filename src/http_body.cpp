// http_body: not written yet
