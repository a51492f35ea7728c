using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Cloudtalk.Api.Infrastructure;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the context without starting the app, whose connection
/// string only exists when Aspire runs it. Adding a migration never connects, so this one is a placeholder.
/// </summary>
public sealed class ApiDbContextDesignTimeFactory : IDesignTimeDbContextFactory<ApiDbContext>
{
    public ApiDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<ApiDbContext>().UseNpgsql("Host=localhost;Database=apidb");
        ApiDbContext.ConfigureOptions(options);
        return new ApiDbContext(options.Options);
    }
}
