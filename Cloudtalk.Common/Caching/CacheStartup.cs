using Microsoft.Extensions.Hosting;

namespace Cloudtalk.Common.Caching;

/// <summary>
/// Starts <see cref="CacheAside"/> with the service: bumps the cache epoch once (a replica that crashed may have
/// committed writes whose invalidations never reached Redis), then subscribes to other replicas' invalidations so
/// the in-process layer can serve. Runs in the background: a Redis that is down delays neither startup nor
/// requests (they answer from the database), and the subscription is retried until it succeeds. At a graceful stop
/// it leaves the replicas' protocol (<see cref="CacheAside.LeaveAsync"/>), while the Redis connection is still up:
/// registered before the HTTP server and the consumers, it stops after them, when nothing writes any more.
/// </summary>
internal sealed class CacheStartup(CacheAside cache) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => cache.StartAsync(stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await cache.LeaveAsync();
    }
}
