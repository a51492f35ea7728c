using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Rating.Infrastructure;

/// <summary>
/// Applies the context's EF Core migrations when the service starts, before the consumers and the relay (hosted
/// services start in registration order and this one completes its start only once the schema is current).
/// EF Core 9+ takes a database lock around <c>MigrateAsync</c> on Npgsql, so replicas starting together are safe.
/// </summary>
public sealed partial class DatabaseMigrator<TContext>(IServiceScopeFactory scopeFactory, ILogger<DatabaseMigrator<TContext>> logger)
    : IHostedService
    where TContext : DbContext
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopeFactory.CreateAsyncScope();
                var context = scope.ServiceProvider.GetRequiredService<TContext>();
                await context.Database.MigrateAsync(cancellationToken);
                return;
            }
            catch (Exception exception) when (attempt < 10 && !cancellationToken.IsCancellationRequested)
            {
                LogMigrationFailed(logger, exception, typeof(TContext).Name, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, attempt)), cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Migrating {Context} failed (attempt {Attempt}); retrying.")]
    private static partial void LogMigrationFailed(ILogger logger, Exception exception, string context, int attempt);
}
