"""The measures service: the system of record of a county's programme of measures."""
