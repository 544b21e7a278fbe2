/*
 * A program of the churn bench (bench/realistic.ts): appends "s ID TIME" to LOG as it starts,
 * sleeps SECONDS, appends "e ID TIME" and exits 0. TIME is the wall clock in seconds with
 * microseconds, as bash's $EPOCHREALTIME. It starts in well under a millisecond (no shell, no
 * dynamic loader), so a restart's lateness is the supervisor's, not the program's own start-up.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void note(const char *log, const char *kind, const char *id) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  char line[160];
  int n = snprintf(line, sizeof line, "%s %s %lld.%06ld\n", kind, id, (long long)now.tv_sec, now.tv_nsec / 1000);
  int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (n > 0 && write(fd, line, (size_t)n) < 0) {
    /* nothing to do: the bench counts what it finds */
  }
  close(fd);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: churn-program LOG ID SECONDS\n");
    return 2;
  }
  note(argv[1], "s", argv[2]);
  double seconds = atof(argv[3]);
  struct timespec pause = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
  while (nanosleep(&pause, &pause) != 0) {
  }
  note(argv[1], "e", argv[2]);
  return 0;
}
