// file_sink: not written yet
