#include "api/register.h"

namespace ksgate::api {

void RegisterSystemActions(ActionTable& table, const Clock& clock) {
  table.Add(ActionDef{"system", "ping", {}, Access::kPublic,
                      [](const CallContext&, const Args&) -> Result<Value, ApiError> {
                        return Value::Bool(true);
                      }});
  table.Add(ActionDef{"system", "getTime", {}, Access::kPublic,
                      [&clock](const CallContext&, const Args&) -> Result<Value, ApiError> {
                        return Value::Int(clock.NowSeconds());
                      }});
}

}  // namespace ksgate::api
