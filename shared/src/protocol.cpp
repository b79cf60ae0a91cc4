// SPDX-License-Identifier: Apache-2.0
// Names of protocol enums for logs and user-facing messages.
#include "shmon/protocol.hpp"

namespace shmon {

const char* to_string(AttachStatus status) {
  switch (status) {
    case AttachStatus::kOk:
      return "ok";
    case AttachStatus::kFull:
      return "full";
    case AttachStatus::kAbiMismatch:
      return "abi_mismatch";
    case AttachStatus::kBadName:
      return "bad_name";
    case AttachStatus::kBadRegion:
      return "bad_region";
    case AttachStatus::kDenied:
      return "denied";
  }
  return "unknown";
}

const char* to_string(RequestType type) {
  switch (type) {
    case RequestType::kHello:
      return "hello";
    case RequestType::kBye:
      return "bye";
    case RequestType::kPing:
      return "ping";
    case RequestType::kSubmit:
      return "submit";
    case RequestType::kFlush:
      return "flush";
    case RequestType::kQuery:
      return "query";
  }
  return "unknown";
}

const char* to_string(ResponseStatus status) {
  switch (status) {
    case ResponseStatus::kOk:
      return "ok";
    case ResponseStatus::kBadRequest:
      return "bad_request";
    case ResponseStatus::kUnknownType:
      return "unknown_type";
    case ResponseStatus::kNotOwner:
      return "not_owner";
    case ResponseStatus::kStaleSession:
      return "stale_session";
    case ResponseStatus::kTooLarge:
      return "too_large";
    case ResponseStatus::kInternal:
      return "internal";
    case ResponseStatus::kNotDurable:
      return "not_durable";
  }
  return "unknown";
}

}  // namespace shmon
