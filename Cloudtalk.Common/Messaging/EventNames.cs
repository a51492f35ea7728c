namespace Cloudtalk.Common.Messaging;

/// <summary>The event names of the contract; each is also the routing key and the AMQP <c>type</c>.</summary>
public static class EventNames
{
    /// <summary>A review was created.</summary>
    public const string ReviewCreated = "review-created";

    /// <summary>A review's rating or text changed.</summary>
    public const string ReviewUpdated = "review-updated";

    /// <summary>A review was deleted.</summary>
    public const string ReviewDeleted = "review-deleted";

    /// <summary>A product's aggregate rating changed.</summary>
    public const string RatingUpdated = "rating-updated";

    /// <summary>A product (and with it all its reviews) was deleted.</summary>
    public const string ProductDeleted = "product-deleted";
}
