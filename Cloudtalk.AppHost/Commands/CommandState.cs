using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cloudtalk.AppHost.Commands;

/// <summary>When the dashboard offers a command.</summary>
internal static class CommandState
{
    /// <summary>
    /// Only while the resource answers: before that, a command would just fail to connect. Degraded counts as
    /// answering (the Api without Redis still serves every request from PostgreSQL).
    /// </summary>
    public static ResourceCommandState EnabledWhenHealthy(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.HealthStatus is HealthStatus.Healthy or HealthStatus.Degraded
            ? ResourceCommandState.Enabled
            : ResourceCommandState.Disabled;
}
