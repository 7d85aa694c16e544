// reassembler: not written yet
