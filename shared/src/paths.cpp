// SPDX-License-Identifier: Apache-2.0
// Runtime directory resolution and the checks that keep it private to this user.
#include "shmon/paths.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "shmon/names.hpp"

namespace shmon {
namespace {

std::string errno_text(int err) {
  return std::strerror(err);
}

std::string octal_mode(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04o", unsigned(mode & 07777));
  return buf;
}

// mkdir that treats "already exists" as success; the caller lstat-checks afterwards.
Status make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return Ok{};
  return Error{"cannot create runtime directory " + path + ": " + errno_text(errno)};
}

}  // namespace

std::string runtime_dir() {
  if (const char* dir = std::getenv("SHMON_RUNTIME_DIR"); dir != nullptr && *dir != '\0') {
    return dir;  // a relative one is refused by check_runtime_dir, with the reason
  }
  // The XDG base directory spec says a relative XDG_RUNTIME_DIR is to be ignored.
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/shmon";
  }
  return default_runtime_dir("/run/user");
}

std::string default_runtime_dir(const std::string& run_user_root) {
  // An app started by cron, sudo or a service has no XDG_RUNTIME_DIR, yet its user's systemd (and
  // the agent it started) uses /run/user/UID: look there before falling back to /tmp, so both
  // ends meet. Only a real directory that is ours counts.
  const std::string uid = std::to_string(::geteuid());
  const std::string run_user = run_user_root + "/" + uid;
  struct stat st;
  if (::lstat(run_user.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid()) {
    return run_user + "/shmon";
  }
  return "/tmp/shmon-" + uid;
}

std::string socket_path(const std::string& instance) {
  return runtime_dir() + "/" + instance + ".sock";
}

std::vector<std::string> list_instances() {
  std::vector<std::string> out;
  DIR* dir = ::opendir(runtime_dir().c_str());
  if (dir == nullptr) return out;
  constexpr std::string_view kSuffix = ".sock";
  while (const dirent* e = ::readdir(dir)) {
    std::string_view name = e->d_name;
    if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) continue;
    name.remove_suffix(kSuffix.size());
    if (!check_instance_name(name)) out.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

std::string lock_path(const std::string& instance) {
  return runtime_dir() + "/" + instance + ".lock";
}

Status ensure_runtime_dir() {
  const std::string dir = runtime_dir();
  if (dir.empty() || dir[0] != '/') return check_runtime_dir(dir);  // refused before any mkdir
  // An explicit SHMON_RUNTIME_DIR may point into a directory that does not exist yet.
  const char* explicit_dir = std::getenv("SHMON_RUNTIME_DIR");
  if (explicit_dir != nullptr && *explicit_dir != '\0') {
    if (const auto slash = dir.find_last_of('/'); slash != std::string::npos && slash > 0) {
      struct stat st;
      const std::string parent = dir.substr(0, slash);
      if (::stat(parent.c_str(), &st) != 0 && errno == ENOENT) {
        if (auto st_made = make_dir(parent); !st_made) return st_made;
      }
    }
  }
  if (auto made = make_dir(dir); !made) return made;
  return check_runtime_dir(dir);
}

Status check_runtime_dir(const std::string& dir) {
  if (dir.empty() || dir[0] != '/') {
    return Error{"runtime directory '" + dir +
                 "' is a relative path; SHMON_RUNTIME_DIR must be absolute (every process must "
                 "find the same directory, whatever its working directory)"};
  }
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) {
    return Error{"cannot inspect runtime directory " + dir + ": " + errno_text(errno)};
  }
  if (S_ISLNK(st.st_mode)) {
    return Error{"runtime directory " + dir + " is a symbolic link; refusing to use it"};
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error{"runtime directory " + dir + " exists but is not a directory"};
  }
  if (st.st_uid != ::geteuid()) {
    return Error{"runtime directory " + dir + " is owned by uid " + std::to_string(st.st_uid) +
                 ", not by this user (uid " + std::to_string(::geteuid()) + ")"};
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    // A shared directory (sticky, like /tmp) must stay open to others: never advise closing it.
    if ((st.st_mode & S_ISVTX) != 0) {
      return Error{"runtime directory " + dir + " is shared with other users (mode " +
                   octal_mode(st.st_mode) +
                   "); set SHMON_RUNTIME_DIR to a directory of its own, e.g. " + dir + "/shmon-" +
                   std::to_string(::geteuid())};
    }
    return Error{"runtime directory " + dir + " has mode " + octal_mode(st.st_mode) +
                 ", writable by group or others; run chmod 700 " + dir};
  }
  return Ok{};
}

std::string state_dir(const std::string& flag, const std::string& instance) {
  std::string root = flag;
  if (root.empty()) {
    if (const char* dir = std::getenv("SHMON_STATE_DIR"); dir != nullptr && *dir != '\0') {
      root = dir;
    } else if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg != '\0') {
      root = std::string(xdg) + "/shmon";
    } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
      root = std::string(home) + "/.local/state/shmon";
    } else {
      return {};
    }
  }
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root + "/" + instance;
}

namespace {

// The components of an absolute path: "/a/b" -> {"/", "/a", "/a/b"}.
std::vector<std::string> prefixes(const std::string& abs) {
  std::vector<std::string> out{"/"};
  for (std::size_t pos = abs.find('/', 1); pos != std::string::npos; pos = abs.find('/', pos + 1)) {
    out.push_back(abs.substr(0, pos));
  }
  if (abs.size() > 1) out.push_back(abs);
  return out;
}

// realpath() of the longest existing prefix of `dir`, plus the rest as written (each missing
// component is created later and checked like the others). Empty with errno on failure.
std::string resolve_existing(std::string dir, std::string& rest) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  rest.clear();
  for (;;) {
    if (char* real = ::realpath(dir.c_str(), nullptr)) {
      std::string out = real;
      std::free(real);
      return out;
    }
    if (errno != ENOENT || dir == ".") return {};
    const auto slash = dir.find_last_of('/');
    if (slash == std::string::npos) {
      rest = rest.empty() ? dir : dir + "/" + rest;
      dir = ".";
    } else {
      rest = rest.empty() ? dir.substr(slash + 1) : dir.substr(slash + 1) + "/" + rest;
      dir = slash == 0 ? "/" : dir.substr(0, slash);
    }
  }
}

}  // namespace

PrivateDir prepare_private_dir(const std::string& dir, int own_levels, const std::string& what) {
  PrivateDir out;
  auto fail = [&](std::string message, int err) {
    out.error = what + " " + message;
    out.sys_errno = err;
    return out;
  };
  if (dir.empty()) return fail("is empty", 0);
  std::string rest;
  const std::string base = resolve_existing(dir, rest);
  if (base.empty()) return fail(dir + " cannot be resolved: " + errno_text(errno), errno);
  std::string path = base;
  const std::size_t existing = prefixes(base).size();
  for (std::size_t begin = 0; begin < rest.size();) {
    std::size_t end = rest.find('/', begin);
    if (end == std::string::npos) end = rest.size();
    const std::string part = rest.substr(begin, end - begin);
    begin = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return fail(dir + ": '..' after a missing component", 0);
    path = path == "/" ? "/" + part : path + "/" + part;
  }
  out.path = path;
  // Top down, each component checked before anything is created below it; a missing one is
  // created (0700) and then checked like the others (it must come out a real directory: a
  // dangling symbolic link in its place is refused, never followed into nowhere).
  const std::vector<std::string> parts = prefixes(path);
  const uid_t me = ::geteuid();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    if (i >= existing && ::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(p + " cannot be created: " + errno_text(errno), errno);
    }
    const bool own = i + std::size_t(own_levels) >= parts.size();
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) {
      return fail(p + " cannot be inspected: " + errno_text(errno), errno);
    }
    if (S_ISLNK(st.st_mode)) return fail(p + " is a symbolic link that leads nowhere", 0);
    if (!S_ISDIR(st.st_mode)) return fail(p + " exists but is not a directory", 0);
    const bool writable = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    if (own) {
      if (st.st_uid != me) {
        return fail(p + " is owned by uid " + std::to_string(st.st_uid) +
                        ", not by this user (uid " + std::to_string(me) + ")",
                    0);
      }
      if (writable) {
        return fail(p + " has mode " + octal_mode(st.st_mode) +
                        ", writable by group or others; run chmod 700 " + p,
                    0);
      }
      continue;
    }
    if (st.st_uid != me && st.st_uid != 0) {
      return fail(p + " (above it) is owned by uid " + std::to_string(st.st_uid) +
                      ", who could replace what is below it; use a directory of this user's",
                  0);
    }
    if (writable && (st.st_mode & S_ISVTX) == 0) {
      return fail(p + " (above it) has mode " + octal_mode(st.st_mode) +
                      ", writable by group or others, who could replace what is below it",
                  0);
    }
  }
  return out;
}

}  // namespace shmon
