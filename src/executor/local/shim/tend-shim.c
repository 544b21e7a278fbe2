/*
 * tend-shim: the spawn helper of tend's local executor. C99 and libc only.
 *
 *   tend-shim serve
 *
 * reads spawn requests on stdin and starts one small shim process per request, so the controller
 * (a large Node.js process) never forks itself. The server keeps one spare shim forked ahead,
 * which reads the next request itself (the server then forks the next spare), so a start waits
 * for no fork of the server. A request is a frame: a 4-byte little-endian length, then
 * NUL-terminated fields, each a tag letter followed by its value:
 *
 *   i request id      f file to exec      a argv element      e env entry     d working dir
 *   u uid             g gid               o stdout log path   r stderr log path
 *   n RLIMIT_NOFILE   m membership cgroup dir (made, joined, killed at the end)
 *   c limit cgroup dir (made and joined)  w "file=value" written into the last m/c dir
 *   x run dir         t token (file names in the run dir)     M text for the run file
 *
 * The shim becomes a session leader and child subreaper, makes the instance's cgroups, opens
 * the log files and forks the program child, the leader of its own process group, born into its
 * membership cgroup where the kernel allows (clone3 CLONE_INTO_CGROUP); for any cgroup it was not
 * born into, it waits until the shim has put it there (so everything it forks inherits them).
 * It then sets its stdio and RLIMIT_NOFILE, drops privileges and execs. The shim waits for that
 * exec (at most EXEC_WAIT_MS), writes <run>/<token>.run (pid, start time, its own pid, cgroup)
 * and answers on stdout with one line
 *
 *   <id> ok <pid> <start ticks> <shim pid> <cgroup marks: y|n per m/c dir> <logs: 1|0>
 *   <id> err <stage> <errno>
 *
 * waits for the program, and when it ends kills everything left of the instance (its cgroup and
 * every descendant the shim reaped as subreaper), writes <run>/<token>.exit ("code=N signal=N
 * at=MS oom=N", plus " error=<stage>:<errno>" when the program could not be started: no exec,
 * exit code 127; a nameless file made while the program ran, linked by name, else a temp file
 * renamed), waits for the rest to go at the lowest priority, removes the cgroups and exits. The
 * server exits once stdin closes and its last shim has ended, so every shim is reaped by it even
 * when the controller is gone.
 *
 * A standing order: while the program runs, the controller may leave <run>/<token>.order, a
 * request frame like the above for the program that replaces it, plus
 *
 *   O on which ends it fires: "a" any, "f" a failure (not exit code 0)
 *   P, T the controller's pid and start ticks: it fires only while that controller runs
 *   E a variable named without its value (a secret, which no file holds): the replacement gets
 *     the value the program it replaces ran with (the same revision, so the same value)
 *
 * On such an end (the program ran, no OOM kill, the instance has its cgroup) the shim takes the
 * order by removing the file (the controller disarms by removing it: one of the two wins), kills
 * the instance's cgroup, starts the replacement at once (its cgroups, fork, exec, run file), and
 * only then writes the exit file with " next=<the replacement's token>". It then supervises the
 * replacement as its own program; the replaced instance's cgroups are removed once empty.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME (16u * 1024u * 1024u)
#define MAX_CGROUPS 8
#define MAX_WRITES 16
#define CLEANUP_LIMIT_MS 10000
#define EXEC_WAIT_MS 100
/* How long a program runs before its shim makes its exit file's inode ahead (see prepare_exit_file). */
#define EXIT_PREPARE_MS 2000
/* How much higher than tend's own the shim's CPU priority is (nice steps; root only). */
#define SHIM_BOOST 5

struct cgroup_dir {
  const char *path;
  int membership;
  const char *writes[MAX_WRITES];
  int nwrites;
  int made; /* created and every write done */
};

struct request {
  const char *id, *file, *cwd, *out, *err, *run, *token, *meta;
  char **argv, **envp;
  int argc, envc;
  long uid, gid, nofile;
  struct cgroup_dir cg[MAX_CGROUPS];
  int ncg;
  /* A standing order only: on which ends it fires ('a' any, 'f' a failure), and the controller
     (pid and start ticks) that must still run for it to fire. */
  char on;
  long controller;
  long long controller_ticks;
  char *data; /* the frame the fields point into, when the request owns it */
  const char *frame; /* the frame the fields point into, owned or not, and its length */
  uint32_t frame_len;
};

/* What the program child tells the shim when a step before exec fails. */
struct child_report {
  int stage;
  int err;
};

/* The program's stdin, stdout and stderr, opened by the shim before the fork. */
struct stdio_fds {
  int in, out, err;
  int logs; /* both log files opened (else /dev/null stands in) */
};

enum { STAGE_OK, STAGE_LOGS, STAGE_RLIMIT, STAGE_CHDIR, STAGE_SETGID, STAGE_SETUID, STAGE_EXEC, STAGE_FORK };
static const char *const STAGES[] = {"ok", "logs", "rlimit", "chdir", "setgid", "setuid", "exec", "fork"};

/* The nice value the shim was started with, and whether the shim runs above it. */
static int base_nice, boosted;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static int read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int write_file(const char *dir, const char *name, const char *value) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) return -1;
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = write_all(fd, value, strlen(value));
  close(fd);
  return rc;
}

/* Reads a small file into buf (NUL-terminated); -1 when unreadable. */
static ssize_t read_file(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t used = 0;
  for (;;) {
    ssize_t n = read(fd, buf + used, size - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += (size_t)n;
    if (used == size - 1) break;
  }
  close(fd);
  buf[used] = '\0';
  return (ssize_t)used;
}

/* ── requests ─────────────────────────────────────────────────────────────── */

static int parse_request(char *data, uint32_t len, struct request *r) {
  memset(r, 0, sizeof *r);
  r->uid = r->gid = r->nofile = -1;
  r->frame = data;
  r->frame_len = len;
  r->argv = calloc(len / 2 + 2, sizeof(char *));
  r->envp = calloc(len / 2 + 2, sizeof(char *));
  if (!r->argv || !r->envp) return -1;
  struct cgroup_dir *last = NULL;
  for (char *p = data; p < data + len;) {
    char *end = memchr(p, '\0', (size_t)(data + len - p));
    if (!end) return -1;
    char tag = *p;
    char *v = p + 1;
    switch (tag) {
      case 'i': r->id = v; break;
      case 'f': r->file = v; break;
      case 'a': r->argv[r->argc++] = v; break;
      case 'e': r->envp[r->envc++] = v; break;
      case 'E': r->envp[r->envc++] = v; break; /* a name alone: see inherit_env */
      case 'd': r->cwd = v; break;
      case 'u': r->uid = strtol(v, NULL, 10); break;
      case 'g': r->gid = strtol(v, NULL, 10); break;
      case 'o': r->out = v; break;
      case 'r': r->err = v; break;
      case 'n': r->nofile = strtol(v, NULL, 10); break;
      case 'x': r->run = v; break;
      case 't': r->token = v; break;
      case 'M': r->meta = v; break;
      case 'O': r->on = *v; break;
      case 'P': r->controller = strtol(v, NULL, 10); break;
      case 'T': r->controller_ticks = strtoll(v, NULL, 10); break;
      case 'm':
      case 'c':
        if (r->ncg == MAX_CGROUPS) return -1;
        last = &r->cg[r->ncg++];
        last->path = v;
        last->membership = tag == 'm';
        break;
      case 'w':
        if (!last || last->nwrites == MAX_WRITES) return -1;
        last->writes[last->nwrites++] = v;
        break;
      default: break;
    }
    p = end + 1;
  }
  return r->id && r->file && r->argc > 0 ? 0 : -1;
}

/* ── cgroups ──────────────────────────────────────────────────────────────── */

static void make_cgroups(struct request *r) {
  for (int i = 0; i < r->ncg; i++) {
    struct cgroup_dir *cg = &r->cg[i];
    if (mkdir(cg->path, 0755) < 0 && errno != EEXIST) continue;
    cg->made = 1;
    for (int w = 0; w < cg->nwrites; w++) {
      char name[256];
      const char *eq = strchr(cg->writes[w], '=');
      size_t n = eq ? (size_t)(eq - cg->writes[w]) : 0;
      if (!eq || n >= sizeof name) {
        cg->made = 0;
        continue;
      }
      memcpy(name, cg->writes[w], n);
      name[n] = '\0';
      if (write_file(cg->path, name, eq + 1) < 0) cg->made = 0;
    }
  }
}

static const struct cgroup_dir *membership_of(const struct request *r) {
  for (int i = 0; i < r->ncg; i++)
    if (r->cg[i].membership && r->cg[i].made) return &r->cg[i];
  return NULL;
}

/* SIGKILLs each pid listed in <dir>/cgroup.procs; returns how many were listed. */
static int kill_listed(const char *dir) {
  char path[4096], buf[65536];
  snprintf(path, sizeof path, "%s/cgroup.procs", dir);
  if (read_file(path, buf, sizeof buf) < 0) return 0;
  int count = 0;
  for (char *p = buf; *p;) {
    char *end;
    long pid = strtol(p, &end, 10);
    if (end == p) break;
    if (pid > 1) {
      kill((pid_t)pid, SIGKILL);
      count++;
    }
    p = end;
    while (*p == '\n') p++;
  }
  return count;
}

/* Kills every process in the cgroup: cgroup.kill (v2, Linux 5.14+), else frozen, killed, thawed. */
static int kill_cgroup(const char *dir) {
  if (write_file(dir, "cgroup.kill", "1") == 0) return kill_listed(dir) > 0;
  int v1 = write_file(dir, "freezer.state", "FROZEN") == 0;
  int v2 = !v1 && write_file(dir, "cgroup.freeze", "1") == 0;
  int listed = kill_listed(dir);
  if (v1) write_file(dir, "freezer.state", "THAWED");
  if (v2) write_file(dir, "cgroup.freeze", "0");
  return listed > 0;
}

static long oom_kills(const struct request *r) {
  long total = 0;
  char path[4096], buf[4096];
  for (int i = 0; i < r->ncg; i++) {
    const char *files[] = {"memory.oom_control", "memory.events"};
    for (int f = 0; f < 2; f++) {
      snprintf(path, sizeof path, "%s/%s", r->cg[i].path, files[f]);
      if (read_file(path, buf, sizeof buf) < 0) continue;
      char *at = strstr(buf, "oom_kill ");
      if (at && (at == buf || at[-1] == '\n')) total += strtol(at + 9, NULL, 10);
    }
  }
  return total;
}

/* ── descendants ──────────────────────────────────────────────────────────── */

/* SIGKILLs every descendant of pid (children of each of its threads, recursively). */
static int kill_descendants(pid_t pid, int depth) {
  char path[64], buf[8192];
  int count = 0;
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *tasks = opendir(path);
  if (!tasks || depth > 64) {
    if (tasks) closedir(tasks);
    return 0;
  }
  struct dirent *t;
  while ((t = readdir(tasks)) != NULL) {
    if (t->d_name[0] == '.') continue;
    char children[96];
    snprintf(children, sizeof children, "/proc/%d/task/%.16s/children", (int)pid, t->d_name);
    if (read_file(children, buf, sizeof buf) <= 0) continue;
    for (char *p = buf; *p;) {
      char *end;
      long child = strtol(p, &end, 10);
      if (end == p) break;
      kill((pid_t)child, SIGKILL);
      count += 1 + kill_descendants((pid_t)child, depth + 1);
      p = end;
      while (*p == ' ') p++;
    }
  }
  closedir(tasks);
  return count;
}

/* Kills what is left of the instance; true while anything was. */
static int kill_rest(const struct request *r) {
  const struct cgroup_dir *m = membership_of(r);
  int left = m ? kill_cgroup(m->path) : 0;
  return kill_descendants(getpid(), 0) + left > 0;
}

/* ── the program child ────────────────────────────────────────────────────── */

static void report_and_exit(int fd, int stage) {
  struct child_report rep = {stage, errno};
  write_all(fd, (const char *)&rep, sizeof rep);
  _exit(127);
}

/* The log file at path, else /dev/null (and *lost set) so the program still runs. */
static int open_log(const char *path, int *lost) {
  int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640) : -1;
  if (path && fd < 0) *lost = 1;
  return fd >= 0 ? fd : open("/dev/null", O_WRONLY | O_CLOEXEC);
}

static struct stdio_fds open_stdio(const struct request *r) {
  int lost = 0;
  struct stdio_fds fds;
  fds.in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  fds.out = open_log(r->out, &lost);
  fds.err = open_log(r->err, &lost);
  fds.logs = !lost;
  return fds;
}

/* Puts pid into each cgroup made but the one it was born into; marks[i] is 'y' when it is in. */
static void join_cgroups(const struct request *r, pid_t pid, int born, char *marks) {
  char text[32];
  snprintf(text, sizeof text, "%d", (int)pid);
  for (int i = 0; i < r->ncg; i++) marks[i] = i == born || (r->cg[i].made && write_file(r->cg[i].path, "cgroup.procs", text) == 0) ? 'y' : 'n';
}

#ifdef SYS_clone3
/* struct clone_args of Linux 5.7 (CLONE_ARGS_SIZE_VER2), spelled out for older kernel headers. */
struct clone3_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#define INTO_CGROUP 0x200000000ULL /* CLONE_INTO_CGROUP */

/* fork() into the cgroup folder at path: the child starts there. -1 (errno set) when it cannot. */
static pid_t fork_into(const char *path) {
  int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  struct clone3_args args;
  memset(&args, 0, sizeof args);
  args.flags = INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = (uint64_t)dir;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  int saved = errno;
  close(dir);
  errno = saved;
  return (pid_t)pid;
}
#endif

/* Whether the child, born into folder `born` (-1: none), is in every folder made for it. */
static int born_complete(const struct request *r, int born) {
  if (born < 0) return 0;
  for (int i = 0; i < r->ncg; i++)
    if (i != born && r->cg[i].made) return 0;
  return 1;
}

/*
 * Forks the program child, born into the membership cgroup where the kernel allows it (clone3
 * with CLONE_INTO_CGROUP: Linux 5.7+, a v2 folder). A process moved by a write to cgroup.procs
 * waits for an RCU grace period whenever no move happened for a while (several ms on an idle
 * host); a child born in its cgroup has nothing to wait for. Else a plain fork, and the shim
 * moves it. *born is the index of the folder the child started in, -1 for none.
 */
static pid_t fork_program(const struct request *r, int *born) {
  *born = -1;
#ifdef SYS_clone3
  for (int i = 0; i < r->ncg; i++) {
    if (!r->cg[i].membership || !r->cg[i].made) continue;
    pid_t pid = fork_into(r->cg[i].path);
    if (pid < 0) break;
    *born = i;
    return pid;
  }
#else
  (void)r;
#endif
  return fork();
}

static void cloexec_from(int lowest) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, (unsigned)lowest, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) == 0) return;
#endif
  for (int fd = lowest; fd < 4096; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static const char *env_path(const struct request *r) {
  for (int i = 0; i < r->envc; i++)
    if (strncmp(r->envp[i], "PATH=", 5) == 0) return r->envp[i] + 5;
  return "/usr/local/bin:/usr/bin:/bin";
}

/* execve, searching the program's PATH when the file names no folder (as execvp does). */
static void exec_program(const struct request *r) {
  if (strchr(r->file, '/')) {
    execve(r->file, r->argv, r->envp);
    return;
  }
  int saved = ENOENT;
  const char *dirs = env_path(r);
  char path[4096];
  while (*dirs) {
    const char *colon = strchr(dirs, ':');
    size_t n = colon ? (size_t)(colon - dirs) : strlen(dirs);
    snprintf(path, sizeof path, "%.*s/%s", (int)n, n ? dirs : ".", r->file);
    execve(path, r->argv, r->envp);
    if (errno == EACCES) saved = EACCES;
    else if (errno != ENOENT && errno != ENOTDIR) saved = errno;
    dirs += n + (colon ? 1 : 0);
  }
  errno = saved;
}

/* In the forked child: waits until the shim has put it into its cgroups (release >= 0), then sets up and execs. */
static void run_program(const struct request *r, const struct stdio_fds *fds, int release, int report) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  setpgid(0, 0);
  char go;
  if (release >= 0 && read(release, &go, 1) != 1) _exit(127);
  if (release >= 0) close(release);
  if (fds->in < 0 || fds->out < 0 || fds->err < 0 || dup2(fds->in, 0) < 0 || dup2(fds->out, 1) < 0 || dup2(fds->err, 2) < 0) report_and_exit(report, STAGE_LOGS);
  if (r->nofile >= 0) {
    struct rlimit lim = {(rlim_t)r->nofile, (rlim_t)r->nofile};
    if (setrlimit(RLIMIT_NOFILE, &lim) < 0) report_and_exit(report, STAGE_RLIMIT);
  }
  if (r->cwd && chdir(r->cwd) < 0) report_and_exit(report, STAGE_CHDIR);
  if (r->gid >= 0) {
    if (setgroups(0, NULL) < 0 && errno != EPERM) report_and_exit(report, STAGE_SETGID);
    if (setgid((gid_t)r->gid) < 0) report_and_exit(report, STAGE_SETGID);
  }
  if (r->uid >= 0 && setuid((uid_t)r->uid) < 0) report_and_exit(report, STAGE_SETUID);
  cloexec_from(3);
  exec_program(r);
  report_and_exit(report, STAGE_EXEC);
}

/* ── the shim ─────────────────────────────────────────────────────────────── */

static long long start_ticks(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if (read_file(path, buf, sizeof buf) <= 0) return 0;
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  /* After ") " comes field 3; the start time is field 22. */
  for (int field = 3; field <= 22 && p; field++) p = strchr(p + 1, ' ');
  return p ? strtoll(p + 1, NULL, 10) : 0;
}

/* Writes <run>/<token><suffix> atomically: a temp file, then rename. */
static void write_run_file(const struct request *r, const char *suffix, const char *text) {
  char path[4096], tmp[4200];
  if (!r->run || !r->token) return;
  snprintf(path, sizeof path, "%s/%s%s", r->run, r->token, suffix);
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return;
  int ok = write_all(fd, text, strlen(text)) == 0;
  close(fd);
  if (!ok || rename(tmp, path) < 0) unlink(tmp);
}

static void answer(int fd, const char *text) {
  write_all(fd, text, strlen(text));
}

static void remove_cgroups(const struct request *r) {
  for (int i = 0; i < r->ncg; i++)
    if (r->cg[i].made) rmdir(r->cg[i].path);
}

static int cgroup_empty(const struct request *r) {
  char path[4096], buf[64];
  const struct cgroup_dir *m = membership_of(r);
  if (!m) return 1;
  snprintf(path, sizeof path, "%s/cgroup.procs", m->path);
  return read_file(path, buf, sizeof buf) <= 0;
}

/* Removes the instance's cgroups, trying again for a second while the kernel still holds them. */
static void remove_cgroups_when_empty(const struct request *r) {
  for (int i = 0; i < 100; i++) {
    remove_cgroups(r);
    int rest = 0;
    for (int c = 0; c < r->ncg; c++) rest |= r->cg[c].made && access(r->cg[c].path, F_OK) == 0;
    if (!rest) break;
    sleep_ms(10);
  }
}

/* After the program's end: kill the rest, reap it, until nothing is left or the limit passes. */
static void clean_up(const struct request *r) {
  long long deadline = now_ms() + CLEANUP_LIMIT_MS;
  for (;;) {
    int left = kill_rest(r);
    pid_t reaped;
    while ((reaped = waitpid(-1, NULL, WNOHANG)) > 0) {
    }
    int children = reaped == 0;
    if ((!left && !children && cgroup_empty(r)) || now_ms() > deadline) break;
    sleep_ms(5);
  }
  remove_cgroups_when_empty(r);
}

/* Whether fd has something to read (data or its end) within ms. */
static int await_readable(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  int n;
  while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR) {
  }
  return n > 0;
}

/* A program reaped early, while the shim cleaned up after the one it replaced. */
static pid_t early_pid;
static int early_status;

/* Waits for the program (reaping any other descendant that ends first); its wait status. */
static int wait_program(pid_t program) {
  if (early_pid == program) {
    early_pid = 0;
    return early_status;
  }
  for (;;) {
    int status;
    pid_t w = waitpid(-1, &status, 0);
    if (w == program) return status;
    if (w < 0 && errno != EINTR) return -1;
  }
}

/*
 * Waits up to ms for the program to end, without reaping it: 1 when it has ended, 0 when it still
 * runs, -1 when this cannot be told (no pidfd: Linux before 5.3).
 */
static int await_end(pid_t program, int ms) {
  if (early_pid == program) return 1;
#ifdef SYS_pidfd_open
  int fd = (int)syscall(SYS_pidfd_open, program, 0);
  if (fd < 0) return -1;
  int ended = await_readable(fd, ms);
  close(fd);
  return ended;
#else
  (void)ms;
  return -1;
#endif
}

/* Reaps what has ended, without waiting; keeps the status of `program` should it be among them. */
static void reap_ended(pid_t program) {
  int status;
  pid_t w;
  while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
    if (w != program) continue;
    early_pid = w;
    early_status = status;
  }
}

static void fail_early(const struct request *r, int out, int stage) {
  char line[128];
  snprintf(line, sizeof line, "%.64s err %s %d\n", r->id, STAGES[stage], errno);
  answer(out, line);
  remove_cgroups(r);
  _exit(1);
}

/* The answer: sent as soon as the program is forked and in its cgroups, before its exec. */
static void answer_started(const struct request *r, int out, pid_t pid, long long ticks, const char *marks, int logs) {
  char line[512];
  int n = snprintf(line, sizeof line, "%.64s ok %d %lld %d ", r->id, (int)pid, ticks, (int)getpid());
  for (int i = 0; i < r->ncg; i++) line[n++] = marks[i];
  if (r->ncg == 0) line[n++] = '-';
  snprintf(line + n, sizeof line - (size_t)n, " %d\n", logs);
  answer(out, line);
}

static void write_run(const struct request *r, pid_t pid, long long ticks) {
  const struct cgroup_dir *m = membership_of(r);
  size_t size = 8192 + (r->meta ? strlen(r->meta) : 0);
  char *text = malloc(size);
  if (!text) return;
  snprintf(text, size, "pid %d\nticks %lld\nshim %d\ncgroup %s\nmeta %s\n", (int)pid, ticks, (int)getpid(), m ? m->path : "", r->meta ? r->meta : "");
  write_run_file(r, ".run", text);
  free(text);
}

/*
 * The exit file's inode, made nameless (O_TMPFILE) while the program runs, so that its end only
 * writes and links it: making a file can wait on the file system's journal (most of a ms on a
 * busy ext4). -1 where the file system cannot; the end then writes a temp file and renames it.
 * Made once the program has run EXIT_PREPARE_MS (see await_end), not at its start: a bring-up of
 * hundreds of programs makes none of them while it still starts the rest.
 */
static int prepare_exit_file(const struct request *r) {
#ifdef O_TMPFILE
  if (r->run && r->token) return open(r->run, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0640);
#else
  (void)r;
#endif
  return -1;
}

/* Writes <run>/<token>.exit: into the prepared inode, then linked by name (atomic: it appears whole). */
static void write_exit_file(const struct request *r, int prepared, const char *text) {
  char path[4096], self[64];
  if (prepared >= 0 && r->run && r->token) {
    snprintf(path, sizeof path, "%s/%s.exit", r->run, r->token);
    snprintf(self, sizeof self, "/proc/self/fd/%d", prepared);
    int ok = write_all(prepared, text, strlen(text)) == 0 && linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0;
    close(prepared);
    if (ok) return;
  }
  write_run_file(r, ".exit", text);
}

/* "code=N signal=N at=MS oom=N[ error=stage:errno][ next=token]\n" into text. */
static void exit_text(char *text, size_t size, int status, long long at, long oom, const struct child_report *failed, const char *next) {
  int code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  int sig = status >= 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  int n = snprintf(text, size, "code=%d signal=%d at=%lld oom=%ld", code, sig, at, oom);
  if (failed && n < (int)size) n += snprintf(text + n, size - (size_t)n, " error=%s:%d", STAGES[failed->stage], failed->err);
  if (next && n < (int)size) n += snprintf(text + n, size - (size_t)n, " next=%.200s", next);
  if (n < (int)size - 1) strcat(text, "\n");
}

/*
 * After the program's end (or its failed exec): kill the rest, tell how it ended, clean up.
 * cgroup.kill reaches every process of the instance at once, so the exit file follows it
 * directly; without it, the rest is killed process by process first.
 */
static void finish(const struct request *r, pid_t pid, int status, long long at, const struct child_report *failed, int exit_file) {
  long oom = oom_kills(r);
  /* The group first: without a cgroup it is what holds the program's own children. */
  kill(-pid, SIGKILL);
  const struct cgroup_dir *m = membership_of(r);
  if (!m || write_file(m->path, "cgroup.kill", "1") < 0) kill_rest(r);
  char text[512];
  exit_text(text, sizeof text, status, at, oom, failed, NULL);
  write_exit_file(r, exit_file, text);
  /* What is left is cleaning up: it yields the CPU to the restart that may follow at once. */
  setpriority(PRIO_PROCESS, 0, 19);
  clean_up(r);
  _exit(0);
}

/* A program the shim supervises. */
struct program {
  pid_t pid;
  int exec_failed;
  struct child_report failed;
  int exit_file; /* its exit file's inode, made ahead (-1: none) */
};

/* Closes what start_program opened; answers the error and exits when there is someone to answer. */
static int not_started(const struct request *r, int out, const struct stdio_fds *fds, const int *pipes, int npipes, int stage) {
  int saved = errno;
  close(fds->in);
  close(fds->out);
  close(fds->err);
  for (int i = 0; i < npipes; i++) close(pipes[i]);
  errno = saved;
  if (out >= 0) fail_early(r, out, stage);
  remove_cgroups(r);
  return -1;
}

/*
 * Starts r's program: its cgroups and log files, the fork (born into its cgroup where it can),
 * the wait for its exec, its run file, and the answer on `out` (none when out < 0: a standing
 * order's program, which nobody asked for over the pipe). -1 when it could not fork.
 */
static int start_program(struct request *r, int out, struct program *p) {
  make_cgroups(r);
  struct stdio_fds fds = open_stdio(r);
  int release[2], report[2];
  if (pipe2(release, O_CLOEXEC) < 0) return not_started(r, out, &fds, NULL, 0, STAGE_FORK);
  if (pipe2(report, O_CLOEXEC) < 0) return not_started(r, out, &fds, release, 2, STAGE_FORK);
  int born;
  pid_t pid = fork_program(r, &born);
  if (pid < 0) {
    int pipes[4] = {release[0], release[1], report[0], report[1]};
    return not_started(r, out, &fds, pipes, 4, STAGE_FORK);
  }
  /* A child born into its only cgroup has nothing to wait for: it goes on to its exec at once. */
  int waits = !born_complete(r, born);
  if (pid == 0) {
    close(release[1]);
    close(report[0]);
    if (!waits) close(release[0]);
    run_program(r, &fds, waits ? release[0] : -1, report[1]);
  }
  close(release[0]);
  close(report[1]);
  /* Also set by the child itself; whichever comes first makes the group (EACCES once it has exec'd). */
  setpgid(pid, pid);
  char marks[MAX_CGROUPS];
  join_cgroups(r, pid, born, marks);
  if (waits) write_all(release[1], "g", 1);
  close(release[1]);
  close(fds.in);
  close(fds.out);
  close(fds.err);
  /* The program execs before the shim writes anything: on a busy host those writes would take the
     CPU the exec waits for. Bounded, so a program stopped before its exec cannot hold the answer. */
  int known = await_readable(report[0], EXEC_WAIT_MS);
  /* The exec itself ran at the shim's priority; the program goes on with tend's own. */
  if (boosted) setpriority(PRIO_PROCESS, (id_t)pid, base_nice);
  p->pid = pid;
  p->exec_failed = known && read_all(report[0], &p->failed, sizeof p->failed) == 0;
  long long ticks = start_ticks(pid);
  write_run(r, pid, ticks);
  if (out >= 0) {
    answer_started(r, out, pid, ticks, marks, fds.logs);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      close(null);
    }
  }
  p->exit_file = -1;
  if (!known) p->exec_failed = read_all(report[0], &p->failed, sizeof p->failed) == 0;
  close(report[0]);
  return 0;
}

/* Whether the controller that armed an order still runs: same pid and start time, not a zombie. */
static int controller_runs(const struct request *order) {
  char path[64], buf[1024];
  if (order->controller <= 1 || order->controller_ticks <= 0) return 0;
  snprintf(path, sizeof path, "/proc/%ld/stat", order->controller);
  if (read_file(path, buf, sizeof buf) <= 0) return 0;
  char *p = strrchr(buf, ')');
  if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X') return 0;
  return start_ticks((pid_t)order->controller) == order->controller_ticks;
}

/* The file of r's standing order: <run>/<token>.order. */
static int order_path(const struct request *r, char *path, size_t size) {
  return r->run && r->token && snprintf(path, size, "%s/%s.order", r->run, r->token) < (int)size ? 0 : -1;
}

static void free_request(struct request *r);

/* Whether s lies inside r's frame (else it was copied for r and is r's to free). */
static int in_frame(const struct request *r, const char *s) {
  return (uintptr_t)s >= (uintptr_t)r->frame && (uintptr_t)s < (uintptr_t)r->frame + r->frame_len;
}

/*
 * Gives each variable `next` names without a value (an 'E' field) the value it has in `from`'s
 * environment. 0 when every one was found, else -1 (the order does not fire).
 */
static int inherit_env(struct request *next, const struct request *from) {
  for (int i = 0; i < next->envc; i++) {
    const char *name = next->envp[i];
    if (strchr(name, '=')) continue;
    size_t n = strlen(name);
    const char *found = NULL;
    for (int j = 0; j < from->envc && !found; j++) {
      if (strncmp(from->envp[j], name, n) == 0 && from->envp[j][n] == '=') found = from->envp[j];
    }
    if (!found || !(next->envp[i] = strdup(found))) return -1;
  }
  return 0;
}

/*
 * The standing order of r's program, when one holds for this end: the controller armed it (the
 * file is there), it fires on such an end, the program ran (no failed exec, no OOM kill: those
 * the controller judges itself), the instance has its own cgroup to be killed as a whole, and
 * the controller still runs. Taking it removes the file: the controller disarms by removing it
 * too, so exactly one of them does. 0 when it holds (next filled in), else -1.
 */
static int take_order(const struct request *r, const struct program *p, int status, struct request *next) {
  char path[4096];
  if (p->exec_failed || status < 0 || !membership_of(r) || order_path(r, path, sizeof path) < 0) return -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  unsigned char head[4];
  char *data = NULL;
  uint32_t len = 0;
  if (read_all(fd, head, 4) == 0) {
    len = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 | (uint32_t)head[3] << 24;
    data = len <= MAX_FRAME ? malloc(len + 1) : NULL;
    if (data && read_all(fd, data, len) < 0) {
      free(data);
      data = NULL;
    }
  }
  close(fd);
  if (!data) return -1;
  data[len] = '\0';
  int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  int holds = parse_request(data, len, next) == 0 && next->run && next->token && (next->on == 'a' || (next->on == 'f' && !clean));
  next->data = data;
  if (holds && inherit_env(next, r) == 0 && controller_runs(next) && oom_kills(r) == 0 && unlink(path) == 0) return 0;
  free_request(next);
  return -1;
}

/* After a replacement started: waits until the replaced instance's cgroup is empty, then removes its cgroups. */
static void retire(const struct request *r, pid_t keep) {
  long long deadline = now_ms() + CLEANUP_LIMIT_MS;
  const struct cgroup_dir *m = membership_of(r);
  for (;;) {
    reap_ended(keep);
    if (cgroup_empty(r) || now_ms() > deadline) break;
    if (m) kill_cgroup(m->path);
    sleep_ms(5);
  }
  remove_cgroups_when_empty(r);
}

/*
 * The program ended and its standing order holds: the whole instance is killed, the next program
 * starts at once (no controller, no helper on the way), and only then is the end written, naming
 * the replacement (" next=<token>"), whose run file is in place by then. 0 when it started; else
 * the caller finishes as without an order.
 */
static int fire(struct request *r, struct program *p, int status, long long at, struct request *next) {
  kill(-p->pid, SIGKILL);
  write_file(membership_of(r)->path, "cgroup.kill", "1");
  struct program started;
  if (start_program(next, -1, &started) < 0) return -1;
  char text[512];
  exit_text(text, sizeof text, status, at, 0, NULL, next->token);
  write_exit_file(r, p->exit_file, text);
  retire(r, started.pid);
  *p = started;
  return 0;
}

static void free_request(struct request *r) {
  if (!r->data) return;
  for (int i = 0; i < r->envc; i++) {
    if (!in_frame(r, r->envp[i])) free(r->envp[i]);
  }
  free(r->argv);
  free(r->envp);
  free(r->data);
}

static void run_shim(struct request *first, int out) {
  signal(SIGCHLD, SIG_DFL);
  setsid();
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  /* The shim sleeps until its program ends, then must get a CPU at once to start the next one
     (a busy host otherwise delays its wake-up by milliseconds). The program's fork and exec run
     at the shim's priority, the program itself at tend's own from just after its exec; without
     the privilege the shim keeps tend's priority too. */
  errno = 0;
  base_nice = getpriority(PRIO_PROCESS, 0);
  boosted = errno == 0 && setpriority(PRIO_PROCESS, 0, base_nice - SHIM_BOOST) == 0;
  struct request requests[2];
  struct request *r = first;
  struct program p;
  start_program(r, out, &p);
  for (int slot = 0;; slot ^= 1) {
    /* A program that ends within EXIT_PREPARE_MS has its exit file made at its end. */
    if (await_end(p.pid, EXIT_PREPARE_MS) != 1) p.exit_file = prepare_exit_file(r);
    int status = wait_program(p.pid);
    long long at = now_ms();
    struct request *next = &requests[slot];
    if (take_order(r, &p, status, next) < 0 || fire(r, &p, status, at, next) < 0) {
      finish(r, p.pid, status, at, p.exec_failed ? &p.failed : NULL, p.exit_file);
    }
    free_request(r);
    r = next;
  }
}

/* ── the server ───────────────────────────────────────────────────────────── */

static void reap_shims(int sig) {
  (void)sig;
  int saved = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

/* The next request frame on stdin, NUL-terminated in *data (malloc'd); -1 at the end of stdin. */
static int read_frame(char **data, uint32_t *len) {
  unsigned char head[4];
  if (read_all(0, head, 4) < 0) return -1;
  *len = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 | (uint32_t)head[3] << 24;
  *data = *len <= MAX_FRAME ? malloc(*len + 1) : NULL;
  if (!*data || read_all(0, *data, *len) < 0) return -1;
  (*data)[*len] = '\0';
  return 0;
}

static void answer_error(const struct request *r, const char *stage, int err) {
  char line[128];
  if (!r->id) return;
  snprintf(line, sizeof line, "%.64s err %s %d\n", r->id, stage, err);
  answer(1, line);
}

/*
 * A spare shim, forked before its request exists: it reads the next request itself, so a start
 * costs no wake-up and no fork of the server before the program's fork. It tells the server on
 * `tell` once it holds a whole request ('t': the server forks the next spare) or stdin ended
 * ('e'). Until it holds one it dies with the server, which must not leave a reader behind.
 */
static void run_spare(int tell, pid_t server) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != server) _exit(0);
  char *data;
  uint32_t len;
  if (read_frame(&data, &len) < 0) {
    write_all(tell, "e", 1);
    _exit(0);
  }
  prctl(PR_SET_PDEATHSIG, 0);
  write_all(tell, "t", 1);
  close(tell);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null >= 0) dup2(null, 0);
  struct request r;
  if (parse_request(data, len, &r) == 0) run_shim(&r, 1);
  answer_error(&r, "request", EINVAL);
  _exit(1);
}

/*
 * Requests already waiting on stdin (a bring-up sends many at once) are read by the server
 * itself, which forks a shim for each, as fast as it can fork; a spare serves the next quiet one.
 * -1 at the end of stdin.
 */
static int serve_waiting(void) {
  while (await_readable(0, 0)) {
    char *data;
    uint32_t len;
    if (read_frame(&data, &len) < 0) return -1;
    struct request r;
    if (parse_request(data, len, &r) == 0) {
      pid_t pid = fork();
      if (pid == 0) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0) dup2(null, 0);
        run_shim(&r, 1);
      }
      if (pid < 0) answer_error(&r, "fork", errno);
    } else {
      answer_error(&r, "request", EINVAL);
    }
    free(r.argv);
    free(r.envp);
    free(data);
  }
  return 0;
}

/* Without a spare (fork failed): the server reads the request and says why it cannot start it. */
static int refuse_next(int err) {
  char *data;
  uint32_t len;
  if (read_frame(&data, &len) < 0) return -1;
  struct request r;
  parse_request(data, len, &r);
  answer_error(&r, "fork", err);
  free(r.argv);
  free(r.envp);
  free(data);
  return 0;
}

/* Keeps one spare shim waiting for the next request; returns when stdin has ended. */
static void serve_spares(void) {
  pid_t server = getpid();
  for (;;) {
    int tell[2];
    if (pipe2(tell, O_CLOEXEC) < 0) {
      if (refuse_next(errno) < 0) return;
      continue;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(tell[0]);
      run_spare(tell[1], server);
    }
    int err = errno;
    close(tell[1]);
    char said = 0;
    if (pid > 0) {
      while (read(tell[0], &said, 1) < 0 && errno == EINTR) {
      }
    }
    close(tell[0]);
    if (said == 'e' || (pid < 0 && refuse_next(err) < 0)) return;
    /* 't', or a spare that died waiting (nothing taken): what waits, then the next spare. */
    if (serve_waiting() < 0) return;
  }
}

static int serve(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = reap_shims;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  serve_spares();
  /* The controller is gone or done: stay to reap the shims still supervising. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) dup2(null, 1);
  for (;;) {
    if (wait(NULL) < 0 && errno == ECHILD) break;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "serve") == 0) return serve();
  fprintf(stderr, "usage: tend-shim serve  (spawn requests on stdin; started by tend's local executor)\n");
  return 2;
}
