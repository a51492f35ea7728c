using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Cloudtalk.Common.Persistence;

/// <summary>Registration of the shared persistence building blocks.</summary>
public static class PersistenceServiceCollectionExtensions
{
    /// <summary>
    /// Migrates <typeparamref name="TContext"/>'s database before the service serves traffic
    /// (see <see cref="DatabaseMigrator{TContext}"/>). Register it before anything that needs the schema.
    /// </summary>
    public static IServiceCollection AddDatabaseMigrationOnStartup<TContext>(this IServiceCollection services)
        where TContext : DbContext =>
        services.AddHostedService<DatabaseMigrator<TContext>>();
}
