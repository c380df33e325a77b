"""The reporting service: the programme's status report for managers and the council, taken on
schedule or on demand from one consistent snapshot of the measures data, frozen, archived in five
formats (HTML, PDF, Markdown, CSV, JSON) and announced for delivery."""
