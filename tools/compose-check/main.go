// compose-check loads Compose files the way `docker compose config` does, with the Compose Specification's
// own loader (github.com/compose-spec/compose-go): JSON-schema validation, interpolation, merging of the files
// given in order, and the model's consistency checks (unknown services in depends_on, volumes, networks...).
// It prints each service's environment as JSON so that scripts/validate-deploy.sh can check every
// STATEGATE_* variable against the server's configuration. This machine has no Docker engine.
//
// Usage: compose-check FILE [FILE...]   (later files override earlier ones, as `docker compose -f a -f b`)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check FILE [FILE...]")
		os.Exit(2)
	}
	files := os.Args[1:]
	options, err := cli.NewProjectOptions(
		files,
		cli.WithWorkingDirectory(filepath.Dir(files[0])),
		cli.WithName("stategate-validate"),
		// Only the files' own values: the caller's shell must not change what is checked.
		cli.WithEnv([]string{}),
	)
	if err != nil {
		fail(err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	environments := map[string]map[string]string{}
	for name, service := range project.Services {
		env := map[string]string{}
		for key, value := range service.Environment {
			if value != nil {
				env[key] = *value
			}
		}
		environments[name] = env
	}
	out, err := json.Marshal(map[string]any{"services": environments})
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "compose-check: %v\n", err)
	os.Exit(1)
}
