namespace Cloudtalk.Rating.Infrastructure;

public static class ApplicationServicesExtensions
{
    /// <summary>Everything Rating needs besides the service defaults: its database and the broker.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<RatingDbContext>("ratingdb");
        builder.AddRabbitMQClient("messaging");
        return builder;
    }
}
