package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeFile is the part of compose.yaml this test reads.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   map[string]any    `yaml:"depends_on"`
	Volumes     []string          `yaml:"volumes"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// compose.yaml parses, and every service it names is built from this repository
// or provided by an image; partnerlink's services run real subcommands with real
// settings, and Redis keeps what it is told (AOF, fsync always, noeviction).
func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("compose.yaml does not parse: %v", err)
	}
	if _, err := os.Stat("../../Dockerfile"); err != nil {
		t.Fatalf("compose.yaml builds from ./Dockerfile: %v", err)
	}
	knownEnv := map[string]bool{}
	for _, s := range settings {
		knownEnv[s.env] = true
	}
	var ours []string
	for name, svc := range c.Services {
		if (svc.Image == "") == (svc.Build == nil) {
			t.Errorf("service %s: want exactly one of image and build", name)
		}
		for dep := range svc.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("service %s depends on %s, which compose.yaml does not define", name, dep)
			}
		}
		for _, v := range svc.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join("../..", src)); err != nil {
					t.Errorf("service %s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s mounts volume %s, which compose.yaml does not declare", name, src)
			}
		}
		if svc.Build == nil {
			continue
		}
		ours = append(ours, name)
		if len(svc.Command) == 0 {
			t.Errorf("service %s: no command", name)
		} else if _, ok := commands[svc.Command[0]]; !ok {
			t.Errorf("service %s runs %q, which is not a partnerlink command", name, svc.Command[0])
		}
		if hc := svc.Healthcheck.Test; len(hc) > 2 {
			if _, ok := commands[hc[2]]; hc[1] != "/partnerlink" || !ok {
				t.Errorf("service %s: health check %v is not a partnerlink command", name, hc)
			}
		}
		for env, val := range svc.Environment {
			if !knownEnv[env] {
				t.Errorf("service %s sets %s, which is not a setting", name, env)
			}
			for _, host := range []string{"redis://", "smtp://", "imap://"} {
				if !strings.HasPrefix(val, host) {
					continue
				}
				h := strings.TrimPrefix(val, host)
				if at := strings.LastIndex(h, "@"); at >= 0 {
					h = h[at+1:]
				}
				h, _, _ = strings.Cut(h, ":")
				if _, ok := c.Services[h]; !ok {
					t.Errorf("service %s: %s points at host %s, which is not a service", name, env, h)
				}
			}
		}
	}
	slices.Sort(ours)
	if want := []string{"inbox", "scheduler", "serve", "worker"}; !slices.Equal(ours, want) {
		t.Errorf("partnerlink services = %v, want %v", ours, want)
	}
	for _, provided := range []string{"redis", "mailpit", "dovecot"} {
		if c.Services[provided].Image == "" {
			t.Errorf("compose.yaml lacks the %s service", provided)
		}
	}
	redisCmd := strings.Join(c.Services["redis"].Command, " ")
	for _, want := range []string{"--appendonly yes", "--appendfsync always", "--maxmemory-policy noeviction"} {
		if !strings.Contains(redisCmd, want) {
			t.Errorf("redis command %q lacks %s", redisCmd, want)
		}
	}
}
