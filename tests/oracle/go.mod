module esprobe.test/oracle

// The go line is rewritten per rule set by the test (it sets the GODEBUG defaults of the Beat).
go 1.24
