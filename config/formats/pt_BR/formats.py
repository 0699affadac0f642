"""Brazilian notation on every admin page: dates as dd/mm/aaaa HH:MM (Django's pt_BR default writes
"4 de dezembro de 2026 às 17:34"); numbers as 1.234,56. Input formats stay Django's."""

DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
