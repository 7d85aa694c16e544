// decoder: not written yet
