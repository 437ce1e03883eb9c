/* Builds a seccomp filter with libseccomp from a simple rule file and
 * writes the BPF libseccomp exports (the reference of tests/libseccomp_diff.rs
 * and of the "Docker default profile, full" benchmark).
 *
 * usage: scmp_export RULES OUT.bpf [OUT.pfc]
 *        scmp_export --names ARCH   (libseccomp's table: "NR NAME" lines)
 *
 * RULES, one item a line:
 *   default ACTION ERRNO
 *   arch x86_64|x86|aarch64|arm|riscv64        (the native arch is always in)
 *   rule NAME ACTION ERRNO [IDX OP VALUE VALUETWO]...
 * ACTION: ALLOW ERRNO KILL_THREAD KILL_PROCESS TRAP TRACE LOG; ERRNO is the
 * data of ERRNO/TRACE. OP: NE LT LE EQ GE GT MASKED_EQ. VALUE/VALUETWO: u64.
 * Calls from other arches get KILL_PROCESS (as go-jail). Names libseccomp
 * does not know are skipped; a rule libseccomp refuses is reported on
 * stderr ("refused: ...") and skipped, as runc would fail on it. With
 * OUT.pfc, libseccomp's pseudo filter code of the same filter is written
 * there too (seccomp_export_pfc: its rule tree as text, which the test
 * evaluates to tell libseccomp's intent from its BPF). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t action(const char *word, unsigned errnum)
{
	if (!strcmp(word, "ALLOW")) return SCMP_ACT_ALLOW;
	if (!strcmp(word, "ERRNO")) return SCMP_ACT_ERRNO(errnum);
	if (!strcmp(word, "KILL_THREAD")) return SCMP_ACT_KILL_THREAD;
	if (!strcmp(word, "KILL_PROCESS")) return SCMP_ACT_KILL_PROCESS;
	if (!strcmp(word, "TRAP")) return SCMP_ACT_TRAP;
	if (!strcmp(word, "TRACE")) return SCMP_ACT_TRACE(errnum);
	if (!strcmp(word, "LOG")) return SCMP_ACT_LOG;
	fprintf(stderr, "unknown action %s\n", word);
	exit(2);
}

static enum scmp_compare op(const char *word)
{
	static const char *names[] = {"NE", "LT", "LE", "EQ", "GE", "GT", "MASKED_EQ"};
	for (int i = 0; i < 7; i++)
		if (!strcmp(word, names[i])) return (enum scmp_compare)(SCMP_CMP_NE + i);
	fprintf(stderr, "unknown op %s\n", word);
	exit(2);
}

static uint32_t arch(const char *word)
{
	if (!strcmp(word, "x86_64")) return SCMP_ARCH_X86_64;
	if (!strcmp(word, "x86")) return SCMP_ARCH_X86;
	if (!strcmp(word, "aarch64")) return SCMP_ARCH_AARCH64;
	if (!strcmp(word, "arm")) return SCMP_ARCH_ARM;
	if (!strcmp(word, "riscv64")) return SCMP_ARCH_RISCV64;
	fprintf(stderr, "unknown arch %s\n", word);
	exit(2);
}

/* Every number 0..1023 (and ARM's private range) libseccomp names on ARCH. */
static int names(const char *word)
{
	uint32_t a = arch(word);
	for (int nr = 0; nr < 0x0f0800; nr++) {
		if (nr == 1024) nr = 0x0f0000;
		char *name = seccomp_syscall_resolve_num_arch(a, nr);
		if (name) printf("%d %s\n", nr, name);
		free(name);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--names")) return names(argv[2]);
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s RULES OUT.bpf [OUT.pfc]\n", argv[0]);
		return 2;
	}
	FILE *in = fopen(argv[1], "r");
	if (!in) { perror(argv[1]); return 2; }
	char line[4096];
	scmp_filter_ctx ctx = NULL;
	while (fgets(line, sizeof line, in)) {
		char *save = NULL;
		char *kw = strtok_r(line, " \t\n", &save);
		if (!kw || kw[0] == '#') continue;
		if (!strcmp(kw, "default")) {
			char *a = strtok_r(NULL, " \t\n", &save);
			char *e = strtok_r(NULL, " \t\n", &save);
			ctx = seccomp_init(action(a, (unsigned)strtoul(e, NULL, 0)));
			if (!ctx) { fprintf(stderr, "seccomp_init failed\n"); return 1; }
			seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
			continue;
		}
		if (!ctx) { fprintf(stderr, "'default' must come first\n"); return 2; }
		if (!strcmp(kw, "arch")) {
			uint32_t a = arch(strtok_r(NULL, " \t\n", &save));
			if (a != seccomp_arch_native()) {
				int rc = seccomp_arch_add(ctx, a);
				if (rc < 0 && rc != -EEXIST) { fprintf(stderr, "arch_add: %s\n", strerror(-rc)); return 1; }
			}
			continue;
		}
		if (strcmp(kw, "rule")) { fprintf(stderr, "unknown line %s\n", kw); return 2; }
		char *name = strtok_r(NULL, " \t\n", &save);
		char *a = strtok_r(NULL, " \t\n", &save);
		char *e = strtok_r(NULL, " \t\n", &save);
		uint32_t act = action(a, (unsigned)strtoul(e, NULL, 0));
		struct scmp_arg_cmp cmp[6];
		unsigned n = 0;
		char *idx;
		while ((idx = strtok_r(NULL, " \t\n", &save)) && n < 6) {
			cmp[n].arg = (unsigned)strtoul(idx, NULL, 0);
			cmp[n].op = op(strtok_r(NULL, " \t\n", &save));
			cmp[n].datum_a = strtoull(strtok_r(NULL, " \t\n", &save), NULL, 0);
			cmp[n].datum_b = strtoull(strtok_r(NULL, " \t\n", &save), NULL, 0);
			n++;
		}
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) continue;
		int rc = seccomp_rule_add_array(ctx, act, nr, n, cmp);
		if (rc < 0) fprintf(stderr, "refused: %s: %s\n", name, strerror(-rc));
	}
	fclose(in);
	int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) { perror(argv[2]); return 2; }
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) { fprintf(stderr, "export: %s\n", strerror(-rc)); return 1; }
	close(fd);
	if (argc == 4) {
		fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) { perror(argv[3]); return 2; }
		rc = seccomp_export_pfc(ctx, fd);
		if (rc < 0) { fprintf(stderr, "export pfc: %s\n", strerror(-rc)); return 1; }
		close(fd);
	}
	seccomp_release(ctx);
	return 0;
}
