/*
 * floor-sup: the least a supervisor can do, as a yardstick for restart latency. It starts
 * `/bin/sleep <marker>` for each line of FILE and, the moment one ends, forks and execs it again
 * (no shell, no cgroup, no log file, no controller). SIGTERM kills the programs and exits.
 *
 *   cc -O2 -o floor-sup floor-sup.c && ./floor-sup markers.txt
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;
static void on_term(int sig) { (void)sig; stopping = 1; }

static pid_t start(const char *marker) {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sleep", "sleep", marker, (char *)NULL);
    _exit(127);
  }
  return pid;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  FILE *f = fopen(argv[1], "r");
  if (!f) return 1;
  char **markers = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    markers = realloc(markers, (n + 1) * sizeof *markers);
    pids = realloc(pids, (n + 1) * sizeof *pids);
    markers[n] = strdup(line);
    pids[n] = start(markers[n]);
    n++;
  }
  fclose(f);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  while (!stopping) {
    pid_t w = waitpid(-1, NULL, 0);
    if (w < 0 && errno != EINTR) break;
    for (size_t i = 0; i < n && w > 0 && !stopping; i++)
      if (pids[i] == w) pids[i] = start(markers[i]);
  }
  for (size_t i = 0; i < n; i++) kill(pids[i], SIGKILL);
  while (wait(NULL) > 0) {
  }
  return 0;
}
