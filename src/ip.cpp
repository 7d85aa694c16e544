// ip: not written yet
