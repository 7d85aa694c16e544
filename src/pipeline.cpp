// pipeline: not written yet
