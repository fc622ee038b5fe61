package sast

func jsRules() []*Rule { return nil }
