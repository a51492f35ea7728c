namespace Cloudtalk.Api.Infrastructure;

public static class ApplicationServicesExtensions
{
    /// <summary>Everything the Api needs besides the service defaults: database, cache, broker.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<ApiDbContext>("apidb");
        builder.AddRedisClient("cache");
        builder.AddRabbitMQClient("messaging");
        return builder;
    }
}
