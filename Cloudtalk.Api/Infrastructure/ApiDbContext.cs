using Cloudtalk.Api.Products;
using Cloudtalk.Api.Reviews;
using Cloudtalk.Common.Outbox;
using Cloudtalk.Common.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>The Api's own database: products, reviews and the outbox of the events they publish.</summary>
public sealed class ApiDbContext : DbContext
{
    public ApiDbContext(DbContextOptions<ApiDbContext> options)
        : base(options)
    {
        Database.DisableAutomaticSavepoints();
    }

    public DbSet<Product> Products => Set<Product>();

    public DbSet<Review> Reviews => Set<Review>();

    /// <summary>
    /// Options the app and the design-time factory must share (not OnConfiguring: Aspire pools the context,
    /// and a pooled context may not change its options there).
    /// </summary>
    public static void ConfigureOptions(DbContextOptionsBuilder options) => options.UseSnakeCaseNamingConvention();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ApiDbContext).Assembly);
        modelBuilder.AddOutbox();
    }
}
