// Policy: what a request is decided under — the Authorizer (and so the permission catalogue) and
// the gate's options (upstream services, authorize routes, signing key). A reload of the
// permissions file and routes (App::Reload) builds a new Policy whole and puts it in force; an
// exchange pins the one in force when it begins (Dispatcher::Begin), so a request in flight keeps
// the set it started with and none ever sees a half-built one. Immutable once built.
#pragma once

#include <memory>

#include "api/gateway.h"
#include "common/current.h"
#include "services/authorizer.h"

namespace ksgate::api {

struct Policy {
  std::shared_ptr<const services::Authorizer> authorizer;  // never null
  GatewayOptions gateway;
};

using CurrentPolicy = Current<Policy>;

}  // namespace ksgate::api
