/*
 * libseccomp_export: compile a syscall-name policy with libseccomp, export the
 * raw BPF program (struct sock_filter array) and time the compilation.
 *
 *   libseccomp_export NAMES allow|deny OPT OUT.bpf ITERS
 *   libseccomp_export RULES rules OPT OUT.bpf ITERS
 *
 * NAMES  one syscall name per line ('#' comments and blank lines ignored)
 * allow  default SCMP_ACT_ERRNO(EPERM), listed names SCMP_ACT_ALLOW
 * deny   default SCMP_ACT_ALLOW, listed names SCMP_ACT_ERRNO(EPERM)
 * rules  RULES is a rule file in the format of tests/support/scmp_export.c:
 *          default ACTION ERRNO
 *          arch x86_64|x86|aarch64|arm|riscv64   (the native arch is always in)
 *          rule NAME ACTION ERRNO [IDX OP VALUE VALUETWO]...
 *        and, as there, other arches get KILL_PROCESS, unknown names are
 *        skipped and a rule libseccomp refuses is reported ("refused: ...")
 *        and left out
 * OPT    SCMP_FLTATR_CTL_OPTIMIZE: 1 = default (priority list), 2 = binary tree
 * ITERS  timed compilations (seccomp_init + attributes + rule_add for every
 *        name + seccomp_export_bpf + seccomp_release); names are resolved once
 *        beforehand and not timed
 *
 * Prints key=value lines: rules, skipped (names unknown on x86_64 or
 * pseudo-numbers such as mmap2, which rule_add would ignore), refused,
 * median_ns.
 *
 * The policy is built by build_policy() from a list of rules (per-rule
 * action and argument comparisons).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 4096
#define MAX_ARCHES 8

struct rule {
	int nr;
	uint32_t action;
	unsigned n_cmp;
	struct scmp_arg_cmp cmp[6];
	/* libseccomp refused it when the policy was first built */
	int refused;
};

struct policy {
	uint32_t default_action;
	int optimize;
	/* rules mode: bad-arch action KILL_PROCESS, extra arches, and rules
	 * libseccomp refuses are reported and left out (as scmp_export) */
	int rules_mode;
	size_t n_arches;
	uint32_t arches[MAX_ARCHES];
	size_t n_rules;
	struct rule rules[MAX_RULES];
};

static void die(const char *what, int err)
{
	fprintf(stderr, "libseccomp_export: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* Builds a libseccomp context for the policy; the caller releases it. The
 * first build (first != 0) marks and reports the rules libseccomp refuses;
 * later builds skip them. */
static scmp_filter_ctx build_policy(struct policy *p, int first)
{
	scmp_filter_ctx ctx = seccomp_init(p->default_action);
	if (ctx == NULL)
		die("seccomp_init", ENOMEM);
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, (uint32_t)p->optimize);
	if (rc < 0)
		die("seccomp_attr_set(SCMP_FLTATR_CTL_OPTIMIZE)", rc);
	if (p->rules_mode) {
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
		if (rc < 0)
			die("seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)", rc);
	}
	for (size_t i = 0; i < p->n_arches; i++) {
		rc = seccomp_arch_add(ctx, p->arches[i]);
		if (rc < 0 && rc != -EEXIST)
			die("seccomp_arch_add", rc);
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		struct rule *r = &p->rules[i];
		if (r->refused)
			continue;
		rc = seccomp_rule_add_array(ctx, r->action, r->nr, r->n_cmp, r->cmp);
		if (rc < 0 && first && p->rules_mode) {
			char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, r->nr);
			fprintf(stderr, "libseccomp_export: refused: %s: %s\n", name ? name : "?",
				strerror(-rc));
			free(name);
			r->refused = 1;
		} else if (rc < 0) {
			die("seccomp_rule_add", rc);
		}
	}
	return ctx;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static struct rule *new_rule(struct policy *p, int nr, uint32_t action)
{
	if (p->n_rules == MAX_RULES)
		die("too many rules", E2BIG);
	struct rule *r = &p->rules[p->n_rules++];
	memset(r, 0, sizeof *r);
	r->nr = nr;
	r->action = action;
	return r;
}

static uint32_t rule_action(const char *word, const char *errnum)
{
	unsigned n = errnum ? (unsigned)strtoul(errnum, NULL, 0) : 0;
	if (word == NULL)
		die("rule file: missing action", EINVAL);
	if (!strcmp(word, "ALLOW")) return SCMP_ACT_ALLOW;
	if (!strcmp(word, "ERRNO")) return SCMP_ACT_ERRNO(n);
	if (!strcmp(word, "KILL_THREAD")) return SCMP_ACT_KILL_THREAD;
	if (!strcmp(word, "KILL_PROCESS")) return SCMP_ACT_KILL_PROCESS;
	if (!strcmp(word, "TRAP")) return SCMP_ACT_TRAP;
	if (!strcmp(word, "TRACE")) return SCMP_ACT_TRACE(n);
	if (!strcmp(word, "LOG")) return SCMP_ACT_LOG;
	fprintf(stderr, "libseccomp_export: unknown action %s\n", word);
	exit(2);
}

static enum scmp_compare rule_op(const char *word)
{
	static const char *names[] = {"NE", "LT", "LE", "EQ", "GE", "GT", "MASKED_EQ"};
	for (int i = 0; word && i < 7; i++)
		if (!strcmp(word, names[i]))
			return (enum scmp_compare)(SCMP_CMP_NE + i);
	fprintf(stderr, "libseccomp_export: unknown op %s\n", word ? word : "(none)");
	exit(2);
}

static uint32_t rule_arch(const char *word)
{
	if (word == NULL)
		die("rule file: missing arch", EINVAL);
	if (!strcmp(word, "x86_64")) return SCMP_ARCH_X86_64;
	if (!strcmp(word, "x86")) return SCMP_ARCH_X86;
	if (!strcmp(word, "aarch64")) return SCMP_ARCH_AARCH64;
	if (!strcmp(word, "arm")) return SCMP_ARCH_ARM;
	if (!strcmp(word, "riscv64")) return SCMP_ARCH_RISCV64;
	fprintf(stderr, "libseccomp_export: unknown arch %s\n", word);
	exit(2);
}

static uint64_t rule_u64(const char *word)
{
	if (word == NULL)
		die("rule file: condition needs IDX OP VALUE VALUETWO", EINVAL);
	return strtoull(word, NULL, 0);
}

/* The rule file of tests/support/scmp_export.c (see the header). */
static void load_rules(const char *path, struct policy *p, size_t *skipped)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		die(path, errno);
	char line[4096];
	int have_default = 0;
	p->rules_mode = 1;
	while (fgets(line, sizeof line, f) != NULL) {
		char *save = NULL;
		char *kw = strtok_r(line, " \t\r\n", &save);
		if (kw == NULL || kw[0] == '#')
			continue;
		if (!strcmp(kw, "default")) {
			char *a = strtok_r(NULL, " \t\r\n", &save);
			p->default_action = rule_action(a, strtok_r(NULL, " \t\r\n", &save));
			have_default = 1;
			continue;
		}
		if (!have_default)
			die("rule file: 'default' must come first", EINVAL);
		if (!strcmp(kw, "arch")) {
			uint32_t a = rule_arch(strtok_r(NULL, " \t\r\n", &save));
			if (a != seccomp_arch_native()) {
				if (p->n_arches == MAX_ARCHES)
					die("too many arches", E2BIG);
				p->arches[p->n_arches++] = a;
			}
			continue;
		}
		if (strcmp(kw, "rule")) {
			fprintf(stderr, "libseccomp_export: unknown line %s\n", kw);
			exit(2);
		}
		char *name = strtok_r(NULL, " \t\r\n", &save);
		char *a = strtok_r(NULL, " \t\r\n", &save);
		uint32_t action = rule_action(a, strtok_r(NULL, " \t\r\n", &save));
		struct scmp_arg_cmp cmp[6];
		unsigned n = 0;
		char *idx;
		while ((idx = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			if (n == 6)
				die("rule file: more than 6 conditions", E2BIG);
			cmp[n].arg = (unsigned)strtoul(idx, NULL, 0);
			cmp[n].op = rule_op(strtok_r(NULL, " \t\r\n", &save));
			cmp[n].datum_a = rule_u64(strtok_r(NULL, " \t\r\n", &save));
			cmp[n].datum_b = rule_u64(strtok_r(NULL, " \t\r\n", &save));
			n++;
		}
		int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
		if (nr == __NR_SCMP_ERROR) {
			fprintf(stderr, "libseccomp_export: skipping %s (unknown to libseccomp)\n",
				name ? name : "(none)");
			(*skipped)++;
			continue;
		}
		struct rule *r = new_rule(p, nr, action);
		r->n_cmp = n;
		memcpy(r->cmp, cmp, n * sizeof cmp[0]);
	}
	if (!have_default)
		die("rule file: no 'default' line", EINVAL);
	fclose(f);
}

static void load_names(const char *path, struct policy *p, uint32_t rule_action, size_t *skipped)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		die(path, errno);
	char line[256];
	while (fgets(line, sizeof line, f) != NULL) {
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		s[strcspn(s, " \t\r\n#")] = '\0';
		if (*s == '\0')
			continue;
		int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, s);
		if (nr < 0) {
			fprintf(stderr, "libseccomp_export: skipping %s (not a syscall on x86_64)\n", s);
			(*skipped)++;
			continue;
		}
		new_rule(p, nr, rule_action);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s NAMES allow|deny OPT OUT.bpf ITERS\n"
				"       %s RULES rules OPT OUT.bpf ITERS\n", argv[0], argv[0]);
		return 2;
	}
	static struct policy p;
	size_t skipped = 0;
	uint32_t rule_action = 0;
	int rules = 0;
	if (strcmp(argv[2], "rules") == 0) {
		rules = 1;
	} else if (strcmp(argv[2], "allow") == 0) {
		p.default_action = SCMP_ACT_ERRNO(EPERM);
		rule_action = SCMP_ACT_ALLOW;
	} else if (strcmp(argv[2], "deny") == 0) {
		p.default_action = SCMP_ACT_ALLOW;
		rule_action = SCMP_ACT_ERRNO(EPERM);
	} else {
		fprintf(stderr, "libseccomp_export: mode must be allow, deny or rules\n");
		return 2;
	}
	p.optimize = atoi(argv[3]);
	if (p.optimize != 1 && p.optimize != 2) {
		fprintf(stderr, "libseccomp_export: OPT must be 1 or 2\n");
		return 2;
	}
	long iters = atol(argv[5]);
	if (iters < 1)
		iters = 1;
	if (rules)
		load_rules(argv[1], &p, &skipped);
	else
		load_names(argv[1], &p, rule_action, &skipped);

	/* The exported program. */
	scmp_filter_ctx ctx = build_policy(&p, 1);
	int fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(argv[4], errno);
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		die("seccomp_export_bpf", rc);
	close(fd);
	seccomp_release(ctx);

	/* Compile time: the whole pipeline, exporting to /dev/null. */
	int null = open("/dev/null", O_WRONLY);
	if (null < 0)
		die("/dev/null", errno);
	int64_t *samples = calloc((size_t)iters, sizeof *samples);
	if (samples == NULL)
		die("calloc", ENOMEM);
	for (long i = 0; i < iters; i++) {
		int64_t t0 = now_ns();
		ctx = build_policy(&p, 0);
		rc = seccomp_export_bpf(ctx, null);
		seccomp_release(ctx);
		samples[i] = now_ns() - t0;
		if (rc < 0)
			die("seccomp_export_bpf", rc);
	}
	close(null);
	qsort(samples, (size_t)iters, sizeof *samples, cmp_i64);
	size_t refused = 0;
	for (size_t i = 0; i < p.n_rules; i++)
		refused += (size_t)p.rules[i].refused;
	printf("rules=%zu\nskipped=%zu\nrefused=%zu\nmedian_ns=%lld\n", p.n_rules - refused,
	       skipped, refused, (long long)samples[iters / 2]);
	free(samples);
	return 0;
}
