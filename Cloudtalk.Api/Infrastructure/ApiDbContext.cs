using Cloudtalk.Api.Products;
using Cloudtalk.Api.Reviews;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>The Api's own database: products and reviews (later also the outbox).</summary>
public sealed class ApiDbContext(DbContextOptions<ApiDbContext> options) : DbContext(options)
{
    public DbSet<Product> Products => Set<Product>();

    public DbSet<Review> Reviews => Set<Review>();

    /// <summary>
    /// Options the app and the design-time factory must share (not OnConfiguring: Aspire pools the context,
    /// and a pooled context may not change its options there).
    /// </summary>
    public static void ConfigureOptions(DbContextOptionsBuilder options) => options.UseSnakeCaseNamingConvention();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ApiDbContext).Assembly);
}
