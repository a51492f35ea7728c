using Microsoft.Extensions.Hosting;

namespace Cloudtalk.AppHost.Backing.Local;

/// <summary>
/// Removes this run's servers and data once the AppHost has stopped. It hooks ApplicationStopped rather than
/// running code after <c>Run()</c>, because code after <c>Build()</c> never runs under Aspire.Hosting.Testing.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class LocalStateCleanup(LocalStateFolder state, IHostApplicationLifetime lifetime) : IHostedService
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopped.Register(() => state.Remove(Grace));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
