package agent

// Fields names where a hook dialect keeps each part of an event. Claude
// Code, Gemini CLI, Codex and Copilot CLI share one shape (an event name,
// a session, a tool with its input, a tool's output, a prompt) under
// different keys; DecodeEvent reads that shape once for all of them.
type Fields struct {
	Agent   string           // the agent's name on the command line
	Events  map[string]Event // the dialect's event names; others are EventOther
	Session string           // the session id
	Tool    string           // the tool's name before and after it runs
	Input   string           // the tool's input (an object)
	Results []string         // a finished tool's output: the first non-empty wins
	// StopActive names the flag telling a stop hook that it already asked
	// the agent to go on once; "" when the dialect has none.
	StopActive string
	// Tools maps a tool call to actions; p is the whole payload, for
	// dialects that keep tool context outside the input.
	Tools func(base Action, tool string, in, p *Payload) ([]Action, error)
}

// Decode decodes a hook payload that names its event in hook_event_name.
func (f Fields) Decode(b []byte, projectDir string) (*Request, error) {
	p, err := ParsePayload(b)
	if err != nil {
		return nil, err
	}
	return f.DecodeNamed(p, projectDir)
}

// DecodeNamed decodes p, which names its event in hook_event_name.
func (f Fields) DecodeNamed(p *Payload, projectDir string) (*Request, error) {
	raw := p.Need("hook_event_name")
	if err := p.Err(); err != nil {
		return nil, err
	}
	return f.DecodeEvent(p, raw, projectDir)
}

// DecodeEvent decodes one hook event named raw from p.
func (f Fields) DecodeEvent(p *Payload, raw, projectDir string) (*Request, error) {
	ev, ok := f.Events[raw]
	if !ok {
		ev = EventOther
	}
	req := &Request{Agent: f.Agent, Event: ev, RawEvent: raw, Session: p.Str(f.Session)}
	base := Action{Agent: f.Agent, Session: req.Session, Event: ev, Cwd: p.Str("cwd"), ProjectDir: projectDir}
	switch ev {
	case EventPreTool:
		tool := p.Need(f.Tool)
		in := p.Sub(f.Input)
		if err := p.Err(); err != nil {
			return nil, err
		}
		acts, err := f.Tools(base, tool, in, p)
		if err != nil {
			return nil, err
		}
		req.Actions = acts
	case EventPostTool:
		base.Tool = p.Need(f.Tool)
		base.Kind = KindTool
		for _, k := range f.Results {
			if base.Result = p.Text(k); base.Result != "" {
				break
			}
		}
		req.Actions = []Action{base}
	case EventPrompt:
		base.Kind = KindPrompt
		base.Prompt = p.Need("prompt")
		req.Actions = []Action{base}
	case EventStop:
		if f.StopActive != "" {
			base.StopHookActive = p.Bool(f.StopActive)
		}
		req.Actions = []Action{base}
	case EventSessionStart, EventSessionEnd:
		req.Actions = []Action{base}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return req, nil
}
