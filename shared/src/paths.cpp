// Runtime directory resolution and the checks that keep it private to this user.
#include "shmon/paths.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

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
    return dir;
  }
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/shmon";
  }
  return "/tmp/shmon-" + std::to_string(::getuid());
}

std::string socket_path(const std::string& instance) {
  return runtime_dir() + "/" + instance + ".sock";
}

std::string lock_path(const std::string& instance) {
  return runtime_dir() + "/" + instance + ".lock";
}

Status ensure_runtime_dir() {
  const std::string dir = runtime_dir();
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

Status ensure_private_dir(const std::string& dir, const std::string& what) {
  // Parents first (each 0700 when we create it; existing ones are left as they are).
  for (std::size_t pos = dir.find('/', 1); pos != std::string::npos; pos = dir.find('/', pos + 1)) {
    const std::string parent = dir.substr(0, pos);
    if (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST) {
      return Error{"cannot create " + what + " " + parent + ": " + errno_text(errno)};
    }
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error{"cannot create " + what + " " + dir + ": " + errno_text(errno)};
  }
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) {
    return Error{"cannot inspect " + what + " " + dir + ": " + errno_text(errno)};
  }
  if (S_ISLNK(st.st_mode)) {
    return Error{what + " " + dir + " is a symbolic link; refusing to use it"};
  }
  if (!S_ISDIR(st.st_mode)) return Error{what + " " + dir + " exists but is not a directory"};
  if (st.st_uid != ::geteuid()) {
    return Error{what + " " + dir + " is owned by uid " + std::to_string(st.st_uid) +
                 ", not by this user (uid " + std::to_string(::geteuid()) + ")"};
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error{what + " " + dir + " has mode " + octal_mode(st.st_mode) +
                 ", writable by group or others; run chmod 700 " + dir};
  }
  return Ok{};
}

}  // namespace shmon
