using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Cloudtalk.Tests.Infrastructure;

/// <summary>
/// Crashes a service of a running system the way a real crash looks (SIGKILL, no graceful shutdown) and brings it
/// back. Aspire's Stop command times out on the <c>dotnet run</c> launcher here, so the service process itself is killed.
/// </summary>
public static class ServiceCrash
{
    public static readonly TimeSpan ResourceTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Kills the resource's service process and waits until the resource is in a terminal state.</summary>
    public static async Task KillAsync(this CloudtalkApp app, string resource)
    {
        var notifications = app.App.ResourceNotifications;
        Assert.True(notifications.TryGetCurrentState(resource, out var running));
        var launcher = Convert.ToInt32(running.Snapshot.Properties.Single(property => property.Name == "executable.pid").Value,
            CultureInfo.InvariantCulture);
        foreach (var process in ServiceProcesses(launcher))
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
        }

        using var timeout = new CancellationTokenSource(ResourceTimeout);
        await notifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, timeout.Token);
    }

    /// <summary>Starts the resource again and waits until it is healthy.</summary>
    /// <remarks>
    /// A start right after the kill can find DCP still deleting the killed instance ("resource is being deleted"): the
    /// new one is then reported as failed to start without a process ever running. Such a start is tried again, up to
    /// three times in all; a service that itself fails to start fails every attempt.
    /// </remarks>
    public static async Task RestartAsync(this CloudtalkApp app, string resource)
    {
        using var timeout = new CancellationTokenSource(ResourceTimeout);
        for (var attempt = 1; ; attempt++)
        {
            var started = await app.App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, timeout.Token);
            Assert.True(started.Success, started.Message);
            try
            {
                await app.App.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
                return;
            }
            catch (DistributedApplicationException) when (attempt < 3 &&
                app.App.ResourceNotifications.TryGetCurrentState(resource, out var state) &&
                state.Snapshot.State?.Text == KnownResourceStates.FailedToStart)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);
            }
        }
    }

    /// <summary>For a test's <c>finally</c>: the shared system gets the resource back running, whatever failed.</summary>
    public static async Task EnsureRunningAsync(this CloudtalkApp app, string resource)
    {
        var notifications = app.App.ResourceNotifications;
        if (notifications.TryGetCurrentState(resource, out var state) &&
            KnownResourceStates.TerminalStates.Contains(state.Snapshot.State?.Text))
        {
            await app.App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand);
        }

        using var timeout = new CancellationTokenSource(ResourceTimeout);
        await notifications.WaitForResourceHealthyAsync(resource, timeout.Token);
    }

    /// <summary>The service's own process: the resource's pid is the launcher (<c>dotnet run</c>) or the service itself.</summary>
    private static IEnumerable<Process> ServiceProcesses(int launcher)
    {
        var childrenFile = $"/proc/{launcher}/task/{launcher}/children";
        var children = File.Exists(childrenFile)
            ? File.ReadAllText(childrenFile).Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : [];
        return children.Length == 0
            ? [Process.GetProcessById(launcher)]
            : children.Select(child => Process.GetProcessById(int.Parse(child, CultureInfo.InvariantCulture)));
    }
}
