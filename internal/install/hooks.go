package install

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Agent names, as `warden hook <agent>` and --agent spell them.
const (
	Claude  = "claude"
	Cursor  = "cursor"
	Gemini  = "gemini"
	Codex   = "codex"
	Copilot = "copilot"
)

// Agents lists every agent warden can hook, in the order init reports them.
var Agents = []string{Claude, Gemini, Codex, Copilot, Cursor}

// hookLayout is how an agent's configuration nests its hook handlers.
type hookLayout int

const (
	// grouped: hooks.<Event> is a list of {matcher, hooks: [handler]}
	// (Claude Code, Gemini CLI, Codex's hooks.json).
	grouped hookLayout = iota
	// flat: hooks.<event> is a list of handlers, beside "version": 1
	// (Copilot CLI's camelCase form, Cursor).
	flat
)

type hookEvent struct {
	name    string
	matcher string // "" = no matcher key (the event has no tool)
	extra   string // appended to the command (Copilot's --event)
	timeout int    // in the agent's unit; 0 = none
}

// hookSpec is where and how one agent's configuration calls warden.
type hookSpec struct {
	agent      string
	file       string // relative to the project (or the managed path)
	layout     hookLayout
	commandKey string // "command", or "bash" for Copilot
	timeoutKey string // "timeout", "timeoutSec"; "" = none
	named      bool   // handlers carry "name": "warden" (Gemini)
	events     []hookEvent
}

// specs are the hook configurations of docs/AGENTS.md. Timeouts stay above
// warden's own 4 s decision limit, so that warden answers (deny) before the
// client gives up (which would let the action through).
var specs = map[string]hookSpec{
	Claude: {agent: Claude, file: ".claude/settings.json", layout: grouped, commandKey: "command", timeoutKey: "timeout",
		events: []hookEvent{
			{name: "PreToolUse", matcher: "*", timeout: 10},
			{name: "PostToolUse", matcher: "*", timeout: 10},
			{name: "UserPromptSubmit", timeout: 10},
			{name: "SessionStart", timeout: 10},
			{name: "SessionEnd", timeout: 10},
			{name: "Stop", timeout: 30},
			{name: "SubagentStop", timeout: 30},
		}},
	Gemini: {agent: Gemini, file: ".gemini/settings.json", layout: grouped, commandKey: "command", timeoutKey: "timeout", named: true,
		events: []hookEvent{ // timeouts in milliseconds
			{name: "BeforeTool", matcher: ".*", timeout: 10000},
			{name: "AfterTool", matcher: ".*", timeout: 10000},
			{name: "BeforeAgent", timeout: 10000},
			{name: "SessionStart", timeout: 10000},
			{name: "SessionEnd", timeout: 10000},
		}},
	Codex: {agent: Codex, file: ".codex/hooks.json", layout: grouped, commandKey: "command", timeoutKey: "timeout",
		events: []hookEvent{
			{name: "PreToolUse", matcher: "*", timeout: 10},
			{name: "PostToolUse", matcher: "*", timeout: 10},
			{name: "UserPromptSubmit", timeout: 10},
		}},
	Copilot: {agent: Copilot, file: ".github/hooks/warden.json", layout: flat, commandKey: "bash", timeoutKey: "timeoutSec",
		events: []hookEvent{
			{name: "preToolUse", timeout: 30},
			{name: "postToolUse", extra: " --event postToolUse", timeout: 30},
			{name: "sessionStart", extra: " --event sessionStart", timeout: 30},
			{name: "userPromptSubmitted", extra: " --event userPromptSubmitted", timeout: 30},
		}},
	Cursor: {agent: Cursor, file: ".cursor/hooks.json", layout: flat, commandKey: "command",
		events: []hookEvent{
			{name: "beforeShellExecution"}, {name: "beforeMCPExecution"}, {name: "beforeReadFile"},
			{name: "beforeSubmitPrompt"}, {name: "preToolUse"}, {name: "postToolUse"},
			{name: "afterShellExecution"}, {name: "afterMCPExecution"}, {name: "sessionStart"}, {name: "stop"},
		}},
}

// HookFile is the project-relative configuration file init writes for agent.
func HookFile(agent string) string { return specs[agent].file }

// isWardenCommand reports whether a hook command already calls warden's
// hook for agent: `warden hook <agent>` or a thin client, `warden-hook
// <agent>` or `warden-hook-c <agent>` (any path to the binary, any flags
// after it).
func isWardenCommand(cmd, agent string) bool {
	f := strings.Fields(cmd)
	for i := 0; i < len(f); i++ {
		base := f[i][strings.LastIndexAny(f[i], `/\`)+1:]
		base = strings.TrimSuffix(base, ".exe")
		rest := f[i+1:]
		switch base {
		case "warden":
			if len(rest) == 0 || rest[0] != "hook" {
				continue
			}
			rest = rest[1:]
		case "warden-hook", "warden-hook-c": // the thin clients: `warden-hook[-c] <agent>`
		default:
			continue
		}
		if len(rest) == 0 || rest[0] == agent || strings.HasPrefix(rest[0], "-") {
			return true
		}
	}
	return false
}

// hookCommand is the command line a hook runs for agent: the thin client
// (`warden-hook <agent>`) when there is one, else `warden hook <agent>`.
func hookCommand(o *Options, agent string) string {
	if o.HookCommand != "" {
		return o.HookCommand + " " + agent
	}
	return o.WardenCommand + " hook " + agent
}

// mergeHooks adds warden's handlers to an agent's hook configuration,
// leaving every other key, event and handler as it was. It reports whether
// anything was added. An event that already calls warden is left alone.
func mergeHooks(name string, root *object, sp hookSpec, o *Options) (bool, error) {
	hv, ok := root.get("hooks")
	var hooks *object
	switch {
	case !ok || hv == nil:
		hooks = newObject()
	default:
		h, isObj := hv.(*object)
		if !isObj {
			return false, &FileError{File: name, Msg: fmt.Sprintf(`"hooks" is %s, want an object`, kind(hv))}
		}
		hooks = h
	}
	changed := false
	for _, ev := range sp.events {
		list := &array{}
		if v, ok := hooks.get(ev.name); ok && v != nil {
			l, isList := v.(*array)
			if !isList {
				return false, &FileError{File: name, Msg: fmt.Sprintf(`"hooks.%s" is %s, want a list`, ev.name, kind(v))}
			}
			list = l
		}
		present, err := hasWarden(name, list.items, sp, ev.name)
		if err != nil {
			return false, err
		}
		if present {
			if upgradeToThin(list, sp, ev, o) {
				list.raw = nil
				hooks.set(ev.name, list)
				changed = true
			}
			continue
		}
		h := newObject()
		if sp.named {
			h.set("name", "warden")
		}
		h.set("type", "command")
		h.set(sp.commandKey, hookCommand(o, sp.agent)+ev.extra)
		if sp.timeoutKey != "" && ev.timeout > 0 {
			h.set(sp.timeoutKey, json.Number(fmt.Sprint(ev.timeout)))
		}
		if sp.layout == flat {
			if sp.agent == Cursor {
				c := newObject()
				c.set("command", hookCommand(o, sp.agent))
				h = c
			}
			list.items = append(list.items, h)
		} else {
			g := newObject()
			if ev.matcher != "" {
				g.set("matcher", ev.matcher)
			}
			g.set("hooks", &array{items: []any{h}})
			list.items = append(list.items, g)
		}
		list.raw = nil
		hooks.set(ev.name, list)
		changed = true
	}
	if changed {
		if sp.layout == flat {
			if _, ok := root.get("version"); !ok {
				// "version" first, as the agents document it.
				root.keys = append([]string{"version"}, root.keys...)
				root.vals["version"] = json.Number("1")
				root.raw = nil
			}
		}
		root.set("hooks", hooks)
	}
	return changed, nil
}

// upgradeToThin rewrites handlers that run exactly what init writes without
// the thin client (`<warden> hook <agent>[ extra]`), or with the Go thin
// client when the C one is now installed, to run the thin client there is; a handler the user changed is left alone. It reports
// whether anything changed.
func upgradeToThin(list *array, sp hookSpec, ev hookEvent, o *Options) bool {
	if o.HookCommand == "" {
		return false
	}
	extra := ev.extra
	if sp.agent == Cursor {
		extra = ""
	}
	olds := []string{o.WardenCommand + " hook " + sp.agent + extra}
	if goThin, ok := strings.CutSuffix(o.HookCommand, "warden-hook-c"); ok {
		// The Go client written by an earlier init, spelled the same way.
		olds = append(olds, goThin+"warden-hook "+sp.agent+extra)
	}
	upgrade := func(h any) bool {
		ho, ok := h.(*object)
		if !ok {
			return false
		}
		if s, ok := ho.vals[sp.commandKey].(string); ok && slices.Contains(olds, s) {
			ho.set(sp.commandKey, hookCommand(o, sp.agent)+extra)
			return true
		}
		return false
	}
	changed := false
	for _, item := range list.items {
		if upgrade(item) {
			changed = true
			continue
		}
		g, ok := item.(*object)
		if !ok || sp.layout == flat {
			continue
		}
		if hs, ok := g.vals["hooks"].(*array); ok {
			for _, h := range hs.items {
				if upgrade(h) {
					hs.raw, g.raw = nil, nil
					changed = true
				}
			}
		}
	}
	return changed
}

// hasWarden reports whether an event's list already has a warden handler.
func hasWarden(name string, list []any, sp hookSpec, event string) (bool, error) {
	check := func(h any) bool {
		o, ok := h.(*object)
		if !ok {
			return false
		}
		for _, key := range []string{sp.commandKey, "command", "bash"} {
			if s, ok := o.vals[key].(string); ok && isWardenCommand(s, sp.agent) {
				return true
			}
		}
		return false
	}
	for i, item := range list {
		if sp.layout == flat {
			if check(item) {
				return true, nil
			}
			continue
		}
		g, ok := item.(*object)
		if !ok {
			return false, &FileError{File: name, Msg: fmt.Sprintf(`"hooks.%s[%d]" is %s, want an object`, event, i, kind(item))}
		}
		if check(g) { // a handler written without a group
			return true, nil
		}
		if hs, ok := g.vals["hooks"].(*array); ok {
			for _, h := range hs.items {
				if check(h) {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

func kind(v any) string {
	switch v.(type) {
	case *object:
		return "an object"
	case *array:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// WardenCommands are the distinct command lines in the configuration file
// at path that call warden's hook for agent, in file order.
func WardenCommands(agent, path string) ([]string, error) {
	sp, ok := specs[agent]
	if !ok {
		return nil, fmt.Errorf("unknown agent %q", agent)
	}
	data, _, err := readExisting(path)
	if err != nil {
		return nil, err
	}
	root, err := parseJSONObject(path, data)
	if err != nil {
		return nil, err
	}
	var cmds []string
	add := func(h any) {
		o, ok := h.(*object)
		if !ok {
			return
		}
		for _, key := range []string{sp.commandKey, "command", "bash"} {
			if s, ok := o.vals[key].(string); ok && isWardenCommand(s, sp.agent) && !slices.Contains(cmds, s) {
				cmds = append(cmds, s)
			}
		}
	}
	hooks, _ := root.vals["hooks"].(*object)
	if hooks == nil {
		return nil, nil
	}
	for _, ev := range sp.events {
		list, _ := hooks.vals[ev.name].(*array)
		if list == nil {
			continue
		}
		for _, item := range list.items {
			add(item)
			if g, ok := item.(*object); ok && sp.layout != flat {
				if hs, ok := g.vals["hooks"].(*array); ok {
					for _, h := range hs.items {
						add(h)
					}
				}
			}
		}
	}
	return cmds, nil
}

// Configured reports which of an agent's events call warden in the
// configuration file at path, and which do not. A missing file configures
// nothing; an unreadable or invalid one is an error.
func Configured(agent, path string) (have, missing []string, err error) {
	sp, ok := specs[agent]
	if !ok {
		return nil, nil, fmt.Errorf("unknown agent %q", agent)
	}
	data, _, err := readExisting(path)
	if err != nil {
		return nil, nil, err
	}
	root, err := parseJSONObject(path, data)
	if err != nil {
		return nil, nil, err
	}
	hooks, _ := root.vals["hooks"].(*object)
	for _, ev := range sp.events {
		var list []any
		if hooks != nil {
			if a, ok := hooks.vals[ev.name].(*array); ok {
				list = a.items
			}
		}
		if ok, _ := hasWarden(path, list, sp, ev.name); ok {
			have = append(have, ev.name)
		} else {
			missing = append(missing, ev.name)
		}
	}
	return have, missing, nil
}
