using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
namespace Cloudtalk.Tests.Infrastructure;

/// <summary>
/// Real faults on the running system's processes: SIGKILL, SIGINT, SIGSTOP/SIGCONT, and starting a resource
/// again through the AppHost's own start command, as an operator would from the dashboard. An instance is a
/// resource's name when it has one replica, or one replica's name.
/// </summary>
public sealed class SystemFaults(CloudtalkApp app)
{
    private static readonly TimeSpan ResourceTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The instances of a resource (one per replica), as the AppHost's notifications name them.</summary>
    public async Task<IReadOnlyList<string>> InstancesAsync(string resource)
    {
        // Watching replays every resource's current state first; a moment is enough to see them all.
        var names = new SortedSet<string>(StringComparer.Ordinal);
        using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await foreach (var update in app.App.ResourceNotifications.WatchAsync(enough.Token))
            {
                if (update.Resource.Name == resource)
                {
                    names.Add(update.ResourceId);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        Assert.NotEmpty(names);
        return [.. names];
    }

    /// <summary>SIGKILL of the instance's whole process tree, then waits until the AppHost sees it gone.</summary>
    public async Task KillAsync(string instance)
    {
        using (var process = Process.GetProcessById(Pid(instance)))
        {
            process.Kill(entireProcessTree: true);
        }

        await WaitForExitAsync(instance);
    }

    /// <summary>The resource's own stop command (a graceful stop, as from the dashboard), then waits until it is gone.</summary>
    public async Task StopAsync(string instance)
    {
        using var timeout = new CancellationTokenSource(ResourceTimeout);
        var stopped = await app.App.ResourceCommands.ExecuteCommandAsync(instance, KnownResourceCommands.StopCommand, timeout.Token);
        Assert.True(stopped.Success, $"stop {instance}: {stopped.Message}");
        await WaitForExitAsync(instance);
    }

    /// <summary>SIGINT (PostgreSQL: fast shutdown, committed data kept), then waits until it is gone.</summary>
    public async Task InterruptAsync(string instance)
    {
        Backing.Signal(Pid(instance), "INT");
        await WaitForExitAsync(instance);
    }

    public void Freeze(string instance) => Backing.Signal(Pid(instance), "STOP");

    public void Thaw(string instance) => Backing.Signal(Pid(instance), "CONT");

    /// <summary>Starts a stopped instance with the resource's start command and waits until it is healthy.</summary>
    /// <remarks>
    /// A start can fail without the service being at fault, above all on a loaded machine: right after a kill DCP may
    /// still be deleting the old instance ("resource is being deleted") and report the new one failed to start, and a
    /// killed server's socket or lock file can linger for a moment (PID 1 reaps every ~2 s). So a start that is
    /// refused, fails, or is not healthy within 40 s is stopped and tried again, up to four starts in all; a service
    /// that cannot start fails every one of them.
    /// </remarks>
    public async Task StartAsync(string instance)
    {
        using var timeout = new CancellationTokenSource(ResourceTimeout);
        for (var attempt = 1; ; attempt++)
        {
            var started = await app.App.ResourceCommands.ExecuteCommandAsync(instance, KnownResourceCommands.StartCommand, timeout.Token);
            if (started.Success && await BecomesHealthyAsync(instance, timeout.Token))
            {
                return;
            }

            Assert.True(attempt < 4, $"{instance} did not become healthy after {attempt} starts " +
                $"({(started.Success ? $"state {StateOf(instance)}" : $"start refused: {started.Message}")})");
            if (!IsTerminal(instance))
            {
                await KillAsync(instance);
            }

            await Task.Delay(TimeSpan.FromSeconds(2), timeout.Token);
        }
    }

    /// <summary>For a test's <c>finally</c>: the shared system gets the instance back healthy, whatever failed.</summary>
    public async Task EnsureRunningAsync(string instance)
    {
        if (IsTerminal(instance))
        {
            await StartAsync(instance);
            return;
        }

        var deadline = DateTime.UtcNow + ResourceTimeout;
        while (!IsHealthy(instance))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{instance} is not healthy (state {StateOf(instance)})");
            await Task.Delay(100);
        }
    }

    private async Task<bool> BecomesHealthyAsync(string instance, CancellationToken cancellation)
    {
        var started = DateTime.UtcNow;
        while (DateTime.UtcNow - started < TimeSpan.FromSeconds(40))
        {
            if (IsHealthy(instance))
            {
                return true;
            }

            // Right after the command the state can still be the previous attempt's FailedToStart.
            if (DateTime.UtcNow - started > TimeSpan.FromSeconds(2) && StateOf(instance) == KnownResourceStates.FailedToStart)
            {
                return false;
            }

            await Task.Delay(100, cancellation);
        }

        return false;
    }

    private async Task WaitForExitAsync(string instance)
    {
        // Polls the current state: a replica's terminal notification can be missed by a waiter that starts late.
        var deadline = DateTime.UtcNow + ResourceTimeout;
        while (!IsTerminal(instance))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{instance} did not stop");
            await Task.Delay(100);
        }
    }

    // Polled rather than awaited: the notification waits miss replicas' updates here (seen with Aspire 13.6).
    private bool IsHealthy(string instance) =>
        app.App.ResourceNotifications.TryGetCurrentState(instance, out var state) &&
        state.Snapshot.State?.Text == KnownResourceStates.Running &&
        state.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy;

    /// <summary>The exit code of the instance's process once it has exited, as DCP reports it.</summary>
    public int? ExitCodeOf(string instance) =>
        app.App.ResourceNotifications.TryGetCurrentState(instance, out var state) ? state.Snapshot.ExitCode : null;

    private string? StateOf(string instance) =>
        app.App.ResourceNotifications.TryGetCurrentState(instance, out var state) ? state.Snapshot.State?.Text : null;

    private bool IsTerminal(string instance) =>
        app.App.ResourceNotifications.TryGetCurrentState(instance, out var state) &&
        KnownResourceStates.TerminalStates.Contains(state.Snapshot.State?.Text);

    private int Pid(string instance)
    {
        Assert.True(app.App.ResourceNotifications.TryGetCurrentState(instance, out var state), $"no state for {instance}");
        var pid = state.Snapshot.Properties.SingleOrDefault(property => property.Name == "executable.pid")?.Value;
        Assert.True(pid is not null, $"{instance} has no process id (state {state.Snapshot.State?.Text})");
        return Convert.ToInt32(pid, CultureInfo.InvariantCulture);
    }
}
