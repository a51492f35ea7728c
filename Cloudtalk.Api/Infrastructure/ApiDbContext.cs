using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>The Api's own database: products, reviews and the outbox.</summary>
public sealed class ApiDbContext(DbContextOptions<ApiDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ApiDbContext).Assembly);
}
