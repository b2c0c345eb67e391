// Fuzzes the permission catalogue parser (services/permission_catalogue.h): the catalogue text
// itself (PermissionCatalogue::Parse) and an operator's permissions file, --permissions
// (PermissionCatalogue::BuiltIn().Extend).
//
// Input: the file's text. Properties: a refusal is kInvalidArgument naming the line; an
// accepted catalogue finds each permission by name at its index, grants each permission's
// actions by it, gives every role an id and names only known permissions; an extension keeps
// every built-in permission and role.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/strings.h"
#include "fuzz/fuzz_input.h"
#include "services/permission_catalogue.h"

namespace {

using namespace ksgate;
using services::PermissionCatalogue;

void CheckCatalogue(const PermissionCatalogue& c) {
  const auto& permissions = c.permissions();
  KSGATE_FUZZ_CHECK(permissions.size() < services::kMaxPermissions);
  for (size_t i = 0; i < permissions.size(); ++i) {
    KSGATE_FUZZ_CHECK(c.Find(permissions[i].name) == i);
    for (const std::string& action : permissions[i].actions) {
      KSGATE_FUZZ_CHECK(c.Granting(AsciiLower(action)).test(i));
    }
  }
  for (const store::UserRole& role : c.roles()) {
    KSGATE_FUZZ_CHECK(role.id > 0);
    KSGATE_FUZZ_CHECK(c.FindRoleById(role.id) != nullptr);
    KSGATE_FUZZ_CHECK(c.FindRoleBySystemName(role.system_name) != nullptr);
    KSGATE_FUZZ_CHECK(!c.FirstUnknown(role.permission_names).has_value());
    KSGATE_FUZZ_CHECK((c.FromNames(role.permission_names) & ~c.All()).none());
  }
  (void)c.Granting("nosuch.action");
  (void)c.Granting("");
}

void CheckRefusal(const Status& status, std::string_view what) {
  KSGATE_FUZZ_CHECK(status.code() == StatusCode::kInvalidArgument);
  KSGATE_FUZZ_CHECK(status.message().starts_with(what));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = ksgate::fuzz::AsText(data, size);

  Result<PermissionCatalogue> parsed = PermissionCatalogue::Parse(text);
  if (parsed.ok()) {
    CheckCatalogue(*parsed);
  } else {
    CheckRefusal(parsed.error(), "permission catalogue");
  }

  const PermissionCatalogue& built_in = PermissionCatalogue::BuiltIn();
  Result<PermissionCatalogue> extended = built_in.Extend(text);
  if (extended.ok()) {
    CheckCatalogue(*extended);
    KSGATE_FUZZ_CHECK(extended->roles().size() == built_in.roles().size());
    for (const auto& p : built_in.permissions()) KSGATE_FUZZ_CHECK(extended->Find(p.name));
  } else {
    CheckRefusal(extended.error(), "permissions file");
  }
  return 0;
}
