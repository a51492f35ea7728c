using Microsoft.Extensions.DependencyInjection;

namespace Cloudtalk.AppHost.Backing.Local;

/// <summary>
/// PostgreSQL, RabbitMQ and Redis from the binaries installed on this machine (Debian's postgresql-15,
/// rabbitmq-server and redis-server), as Aspire executable resources: the dashboard shows their state,
/// health and logs. Each listens on loopback only, on a free port, with a password generated for this run,
/// and keeps its data in this run's <see cref="LocalStateFolder"/>, which is removed when the AppHost stops.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class LocalBackingServices
{
    public static BackingServices AddLocalBackingServices(this IDistributedApplicationBuilder builder)
    {
        var stateRoot = builder.Configuration["LocalBacking:StateRoot"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(Path.GetTempPath(), "cloudtalk-apphost");
        var state = LocalStateFolder.Create(stateRoot);
        builder.Services.AddHostedService(services => new LocalStateCleanup(
            state, services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>()));

        var (postgres, apiDatabase, ratingDatabase) = builder.AddLocalPostgres(state);
        var messaging = builder.AddLocalRabbitMq(state);
        var cache = builder.AddLocalRedis(state);
        postgres.WithResetDatabasesCommand(apiDatabase, ratingDatabase, messaging, cache);

        return new BackingServices(apiDatabase, ratingDatabase, messaging, cache);
    }
}
