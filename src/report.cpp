// report: not written yet
