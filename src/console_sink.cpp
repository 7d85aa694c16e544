// console_sink: not written yet
