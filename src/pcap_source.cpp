// pcap_source: not written yet
