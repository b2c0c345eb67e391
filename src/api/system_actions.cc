#include "api/register.h"

namespace ksgate::api {

void RegisterSystemActions(ActionTable& table, const Clock& clock) {
  table.Add(ActionDef{"system",
                      "ping",
                      {},
                      /*needs_ks=*/false,
                      [](const CallContext&, const Args&) -> Result<Value, ApiError> {
                        return Value::Bool(true);
                      }});
  table.Add(ActionDef{"system",
                      "getTime",
                      {},
                      /*needs_ks=*/false,
                      [&clock](const CallContext&, const Args&) -> Result<Value, ApiError> {
                        return Value::Int(clock.NowSeconds());
                      }});
}

}  // namespace ksgate::api
