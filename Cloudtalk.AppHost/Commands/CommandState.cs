using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Cloudtalk.AppHost.Commands;

/// <summary>When the dashboard offers a command.</summary>
internal static class CommandState
{
    /// <summary>Only while the resource is healthy: before that, a command would just fail to connect.</summary>
    public static ResourceCommandState EnabledWhenHealthy(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.HealthStatus is HealthStatus.Healthy
            ? ResourceCommandState.Enabled
            : ResourceCommandState.Disabled;
}
