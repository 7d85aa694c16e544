// seq: not written yet
