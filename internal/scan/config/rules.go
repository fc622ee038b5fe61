package config

import (
	"github.com/wardenhq/warden/internal/finding"
)

// ruleDef is one configuration rule as data. The check that reports it
// lives in the file for its format; the corpus under testdata/corpus holds
// at least one positive and one negative sample for each.
type ruleDef struct {
	id       string
	format   string // dockerfile, github-actions, kubernetes, compose, terraform, cloudformation, agent-config
	title    string
	severity finding.Severity
	cwe      string
	// fix says how to fix it; it ends every finding's message.
	fix string
}

func (r ruleDef) rule() finding.Rule {
	return finding.Rule{
		ID:       r.id,
		Engine:   EngineName,
		Title:    r.title,
		Severity: r.severity,
		CWE:      r.cwe,
		Help:     r.title + ".\n\n" + r.fix,
		Tags:     []string{"config", r.format},
	}
}

const (
	sevInfo     = finding.SeverityInfo
	sevLow      = finding.SeverityLow
	sevMedium   = finding.SeverityMedium
	sevHigh     = finding.SeverityHigh
	sevCritical = finding.SeverityCritical
)

const ruleUnparsable = "config-unparsable"

// Formats, as named in rule tags and the accuracy report.
const (
	fmtDocker    = "dockerfile"
	fmtActions   = "github-actions"
	fmtK8s       = "kubernetes"
	fmtCompose   = "compose"
	fmtTerraform = "terraform"
	fmtCFN       = "cloudformation"
	fmtAgent     = "agent-config"
)

var ruleTable = []ruleDef{
	{ruleUnparsable, "any", "Configuration file could not be parsed", sevInfo, "",
		"Fix the syntax error so that the file can be checked; a file warden cannot read is not checked."},

	// Dockerfile / Containerfile.
	{"docker-no-user", fmtDocker, "Container runs as root: the final stage sets no USER", sevMedium, "CWE-250",
		"Create an unprivileged user and switch to it before the entrypoint (`RUN useradd -r app` then `USER app`, or `USER 65532` on distroless)."},
	{"docker-user-root", fmtDocker, "Container runs as root: USER root", sevMedium, "CWE-250",
		"End the stage with a non-root `USER` (a name or a non-zero UID); switch to root only for the steps that need it."},
	{"docker-latest-tag", fmtDocker, "Base image uses the mutable latest tag", sevMedium, "CWE-829",
		"Pin the base image to a version tag and preferably a digest (`FROM node:22.11-alpine@sha256:...`) so builds are reproducible and reviewed."},
	{"docker-untagged-image", fmtDocker, "Base image has no tag or digest", sevMedium, "CWE-829",
		"An image without a tag means latest: pin a version tag and preferably a digest."},
	{"docker-pipe-to-shell", fmtDocker, "Remote script piped into a shell during the build", sevHigh, "CWE-494",
		"Download the script to a file, verify its checksum or signature (`sha256sum -c`), then run it; or install from a package manager."},
	{"docker-secret-in-env", fmtDocker, "Secret hard-coded in ENV or ARG", sevHigh, "CWE-798",
		"ENV and ARG values are stored in the image history: pass secrets at build time with `RUN --mount=type=secret` and at run time from the orchestrator's secret store."},
	{"docker-add-url", fmtDocker, "ADD downloads a remote URL without verification", sevMedium, "CWE-494",
		"Use `ADD --checksum=sha256:...` or download with curl, verify the checksum, and extract in one RUN."},
	{"docker-tls-disabled", fmtDocker, "TLS certificate verification disabled in a build step", sevHigh, "CWE-295",
		"Remove `-k`/`--insecure`/`--no-check-certificate`/`--trusted-host`/`strict-ssl false`; install the CA certificate the proxy needs instead."},
	{"docker-chmod-777", fmtDocker, "World-writable permissions set in the image", sevMedium, "CWE-732",
		"Grant the least permissions needed (`chmod 755` for directories, `644` for files) and `chown` to the runtime user."},
	{"docker-expose-ssh", fmtDocker, "SSH port exposed by the image", sevLow, "CWE-284",
		"Do not run sshd in a container; use `docker exec`/`kubectl exec` for access."},
	{"docker-sudo", fmtDocker, "sudo used in a build step", sevLow, "CWE-250",
		"Build steps already run as the current USER: switch with `USER` instead of installing and calling sudo, which also leaves sudo in the image."},

	// GitHub Actions.
	{"gha-pr-target-checkout", fmtActions, "Privileged workflow checks out untrusted pull request code", sevCritical, "CWE-829",
		"pull_request_target and workflow_run run with secrets and a write token: do not check out the PR head there. Use the `pull_request` trigger for building untrusted code, or only check out the base and treat PR data as untrusted input."},
	{"gha-script-injection", fmtActions, "Attacker-controlled expression interpolated into a script", sevHigh, "CWE-94",
		"Pass the value through an environment variable (`env: TITLE: ${{ github.event.issue.title }}` then `\"$TITLE\"` in the script) instead of expanding `${{ }}` inside `run:` or `script:`."},
	{"gha-unpinned-action", fmtActions, "Third-party action not pinned to a full commit SHA", sevMedium, "CWE-829",
		"Pin the action to a full 40-character commit SHA (`uses: owner/action@<sha> # v1.2.3`); tags and branches can be moved to malicious code."},
	{"gha-unpinned-docker-image", fmtActions, "Docker image in a step not pinned to a digest", sevMedium, "CWE-829",
		"Reference the image by digest (`docker://image@sha256:...`)."},
	{"gha-write-all-permissions", fmtActions, "Workflow token granted write-all permissions", sevHigh, "CWE-250",
		"Declare least-privilege permissions (`permissions: contents: read`) and grant each job only the scopes it needs."},
	{"gha-secret-echoed", fmtActions, "Secret printed in a workflow step", sevHigh, "CWE-532",
		"Never echo secrets: logs are readable by everyone with read access and masking misses transformed values. Pass secrets to the tool that needs them through `env:`."},
	{"gha-unsecure-commands", fmtActions, "Deprecated unsafe workflow commands re-enabled", sevHigh, "CWE-94",
		"Remove ACTIONS_ALLOW_UNSECURE_COMMANDS; write to $GITHUB_ENV and $GITHUB_PATH instead of `::set-env` and `::add-path`."},
	{"gha-pipe-to-shell", fmtActions, "Remote script piped into a shell in a workflow", sevMedium, "CWE-494",
		"Download the script, verify its checksum, then run it; or use a pinned action or package."},

	// Kubernetes.
	{"k8s-privileged", fmtK8s, "Privileged container", sevCritical, "CWE-250",
		"Remove `privileged: true`; grant only the specific capabilities the workload needs."},
	{"k8s-host-path", fmtK8s, "hostPath volume mounts the node's filesystem", sevHigh, "CWE-668",
		"Use a PersistentVolumeClaim, emptyDir, configMap or secret volume instead of hostPath."},
	{"k8s-docker-socket", fmtK8s, "Container runtime socket mounted into a pod", sevCritical, "CWE-250",
		"Mounting docker.sock/containerd.sock gives root on the node: build images with a rootless builder (kaniko, buildkit rootless) instead."},
	{"k8s-host-network", fmtK8s, "Pod shares the host's network namespace", sevHigh, "CWE-668",
		"Remove `hostNetwork: true`; expose the workload through a Service."},
	{"k8s-host-pid", fmtK8s, "Pod shares the host's process namespace", sevHigh, "CWE-668",
		"Remove `hostPID: true`."},
	{"k8s-host-ipc", fmtK8s, "Pod shares the host's IPC namespace", sevHigh, "CWE-668",
		"Remove `hostIPC: true`."},
	{"k8s-run-as-root", fmtK8s, "Container allowed to run as root", sevMedium, "CWE-250",
		"Set `securityContext: runAsNonRoot: true` and a non-zero `runAsUser`."},
	{"k8s-privilege-escalation", fmtK8s, "Container allows privilege escalation", sevMedium, "CWE-269",
		"Set `allowPrivilegeEscalation: false` in the container's securityContext."},
	{"k8s-dangerous-capabilities", fmtK8s, "Container adds dangerous Linux capabilities", sevHigh, "CWE-250",
		"Drop ALL capabilities and add back only narrow ones (e.g. NET_BIND_SERVICE); never SYS_ADMIN, NET_ADMIN, SYS_PTRACE or ALL."},
	{"k8s-no-resource-limits", fmtK8s, "Container has no CPU or memory limits", sevLow, "CWE-770",
		"Set `resources.limits.cpu` and `resources.limits.memory` so one container cannot starve the node."},
	{"k8s-rbac-wildcard", fmtK8s, "RBAC role grants wildcard verbs or resources", sevHigh, "CWE-269",
		"List the exact apiGroups, resources and verbs the subject needs instead of `*`."},
	{"k8s-secret-in-env", fmtK8s, "Secret hard-coded in a container's environment", sevHigh, "CWE-798",
		"Store the value in a Secret and reference it with `valueFrom.secretKeyRef`."},
	{"k8s-latest-image", fmtK8s, "Container image uses latest or no tag", sevLow, "CWE-829",
		"Pin the image to a version tag and preferably a digest."},

	// Docker Compose.
	{"compose-privileged", fmtCompose, "Privileged service", sevCritical, "CWE-250",
		"Remove `privileged: true`; add only the capabilities the service needs with `cap_add`."},
	{"compose-host-namespace", fmtCompose, "Service shares a host namespace", sevHigh, "CWE-668",
		"Remove `network_mode: host`, `pid: host` and `ipc: host`; publish ports instead."},
	{"compose-docker-socket", fmtCompose, "Docker socket mounted into a service", sevCritical, "CWE-250",
		"Mounting the Docker socket gives root on the host: remove it, or put a filtering socket proxy in front that allows only read-only endpoints."},
	{"compose-dangerous-capabilities", fmtCompose, "Service adds dangerous Linux capabilities", sevHigh, "CWE-250",
		"Remove SYS_ADMIN, NET_ADMIN, SYS_PTRACE and ALL from `cap_add`; `cap_drop: [ALL]` and add back narrow ones."},
	{"compose-security-opt-unconfined", fmtCompose, "Seccomp or AppArmor confinement disabled", sevMedium, "CWE-693",
		"Remove `seccomp:unconfined` / `apparmor:unconfined` from `security_opt`; write a custom profile if the default blocks something needed."},
	{"compose-secret-in-env", fmtCompose, "Secret hard-coded in a service's environment", sevHigh, "CWE-798",
		"Use `${VAR}` substitution from an untracked .env file or Compose `secrets:`."},

	// Terraform.
	{"tf-public-bucket-acl", fmtTerraform, "Storage bucket readable or writable by everyone", sevHigh, "CWE-732",
		"Use `acl = \"private\"` (or no ACL with BucketOwnerEnforced) and serve public content through a CDN with origin access control."},
	{"tf-public-access-block-disabled", fmtTerraform, "S3 public access block turned off", sevMedium, "CWE-732",
		"Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to true."},
	{"tf-open-admin-port", fmtTerraform, "Administrative or database port open to the internet", sevCritical, "CWE-284",
		"Restrict the source to known CIDRs (VPN, bastion) or use a session manager; never 0.0.0.0/0 or ::/0 on SSH, RDP or database ports."},
	{"tf-iam-wildcard-action", fmtTerraform, "IAM policy allows every action", sevCritical, "CWE-269",
		"Replace `\"*\"` with the specific actions the principal needs."},
	{"tf-iam-service-wildcard", fmtTerraform, "IAM policy allows all actions of a service on every resource", sevHigh, "CWE-269",
		"List the specific actions (not `service:*`) and scope Resource to the ARNs they apply to."},
	{"tf-unencrypted-ebs", fmtTerraform, "EBS volume not encrypted", sevMedium, "CWE-311",
		"Set `encrypted = true` (and `kms_key_id` for a customer-managed key), or enable EBS encryption by default for the account."},
	{"tf-unencrypted-rds", fmtTerraform, "RDS storage not encrypted", sevMedium, "CWE-311",
		"Set `storage_encrypted = true` on the DB instance or cluster."},
	{"tf-rds-public", fmtTerraform, "Database publicly accessible", sevHigh, "CWE-668",
		"Set `publicly_accessible = false` and reach the database from inside the VPC."},
	{"tf-unencrypted-efs", fmtTerraform, "EFS file system not encrypted", sevMedium, "CWE-311",
		"Set `encrypted = true` on aws_efs_file_system."},
	{"tf-hardcoded-secret", fmtTerraform, "Credential hard-coded in Terraform", sevHigh, "CWE-798",
		"Read it from a variable marked `sensitive = true`, a secrets manager data source, or `manage_master_user_password = true`; never commit it."},
	{"tf-imdsv1", fmtTerraform, "EC2 instance metadata allows IMDSv1", sevLow, "CWE-918",
		"Add `metadata_options { http_tokens = \"required\" }` so SSRF cannot read instance credentials."},
	{"tf-gcs-public", fmtTerraform, "Cloud Storage bucket granted to allUsers", sevHigh, "CWE-732",
		"Grant roles to specific principals; never allUsers or allAuthenticatedUsers."},

	// CloudFormation.
	{"cfn-public-bucket-acl", fmtCFN, "S3 bucket readable or writable by everyone", sevHigh, "CWE-732",
		"Remove `AccessControl: PublicRead*`; keep the bucket private with a PublicAccessBlockConfiguration."},
	{"cfn-open-admin-port", fmtCFN, "Administrative or database port open to the internet", sevCritical, "CWE-284",
		"Restrict CidrIp to known ranges or use Session Manager; never 0.0.0.0/0 or ::/0 on SSH, RDP or database ports."},
	{"cfn-iam-wildcard-action", fmtCFN, "IAM policy allows every action", sevCritical, "CWE-269",
		"Replace `\"*\"` with the specific actions the principal needs."},
	{"cfn-iam-service-wildcard", fmtCFN, "IAM policy allows all actions of a service on every resource", sevHigh, "CWE-269",
		"List the specific actions and scope Resource to the ARNs they apply to."},
	{"cfn-unencrypted-ebs", fmtCFN, "EBS volume not encrypted", sevMedium, "CWE-311",
		"Set `Encrypted: true` on AWS::EC2::Volume."},
	{"cfn-unencrypted-rds", fmtCFN, "RDS storage not encrypted", sevMedium, "CWE-311",
		"Set `StorageEncrypted: true` on the DB instance or cluster."},
	{"cfn-rds-public", fmtCFN, "Database publicly accessible", sevHigh, "CWE-668",
		"Set `PubliclyAccessible: false`."},
	{"cfn-hardcoded-secret", fmtCFN, "Credential hard-coded in a template", sevHigh, "CWE-798",
		"Use a NoEcho parameter, `{{resolve:secretsmanager:...}}`, or `ManageMasterUserPassword: true`."},

	// AI agent configuration.
	{"claude-bash-allow-all", fmtAgent, "Claude Code allowed to run any shell command without asking", sevHigh, "CWE-250",
		"Allow specific commands (`Bash(npm run test:*)`, `Bash(go test:*)`) instead of `Bash` or `Bash(*)`; leave the rest to ask."},
	{"claude-bypass-permissions", fmtAgent, "Claude Code permission prompts bypassed by default", sevHigh, "CWE-250",
		"Use `defaultMode: \"default\"` or `\"acceptEdits\"`; bypassPermissions lets the agent run every tool unchecked. Set `disableBypassPermissionsMode: \"disable\"` in managed settings."},
	{"claude-hooks-disabled", fmtAgent, "Agent hooks disabled", sevMedium, "CWE-693",
		"Remove `disableAllHooks: true`: it turns off the guard hooks (warden's included) that check each agent action."},
	{"claude-all-project-mcp", fmtAgent, "Every MCP server in the project approved automatically", sevMedium, "CWE-829",
		"Remove `enableAllProjectMcpServers: true` and list reviewed servers in `enabledMcpjsonServers`, so a pull request cannot add a server that runs unprompted."},
	{"mcp-unpinned-package", fmtAgent, "MCP server launched from an unpinned package", sevMedium, "CWE-829",
		"Pin the package version (`npx -y @scope/server@1.4.2`, `uvx server==1.4.2`); an unpinned package runs whatever the registry serves next."},
	{"mcp-inline-secret", fmtAgent, "Secret written inline in an MCP server configuration", sevHigh, "CWE-798",
		"Reference an environment variable (`\"${GITHUB_TOKEN}\"`, `${env:GITHUB_TOKEN}` or an input prompt) instead of committing the value."},
	{"mcp-insecure-url", fmtAgent, "MCP server reached over plain HTTP", sevMedium, "CWE-319",
		"Use an https:// URL for remote MCP servers; plain HTTP exposes tool calls and tokens."},
	{"mcp-trusted-server", fmtAgent, "MCP server trusted to run tools without confirmation", sevMedium, "CWE-250",
		"Remove `trust: true` so each tool call from this server asks for confirmation."},
	{"instructions-unicode-tags", fmtAgent, "Invisible Unicode tag characters in agent instructions", sevCritical, "CWE-1007",
		"Unicode tag characters (U+E0000-U+E007F) hide text a model reads but a reviewer cannot see (the rules file backdoor): delete them and review the file's history."},
	{"instructions-bidi-control", fmtAgent, "Bidirectional control characters in agent instructions", sevHigh, "CWE-1007",
		"Bidi overrides and isolates (U+202A-U+202E, U+2066-U+2069) reorder what a reviewer sees: delete them."},
	{"instructions-zero-width", fmtAgent, "Zero-width characters in agent instructions", sevMedium, "CWE-1007",
		"Zero-width characters (U+200B-U+200D, U+2060, U+FEFF inside text) can hide or split instructions: delete them."},
}

var ruleIndex = func() map[string]ruleDef {
	m := make(map[string]ruleDef, len(ruleTable))
	for _, r := range ruleTable {
		if _, dup := m[r.id]; dup {
			panic("config: duplicate rule " + r.id)
		}
		m[r.id] = r
	}
	return m
}()
