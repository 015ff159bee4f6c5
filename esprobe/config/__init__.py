"""Reading a Beat's configuration exactly as the Beat does (being written)."""
