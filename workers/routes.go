package workers

import (
	"time"

	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/teambuy"
)

// The routes of the features whose tasks live in packages of their own
// (workers/drops, workers/groupbuys, workers/teams): the relay routes their
// jobs too.

// liveRoutes maps the job kinds of live drops to their queue (see routes). A
// lot's post job reuses its key on purpose (every change of the lot writes it
// again): no retention.
var liveRoutes = map[string]route{
	live.JobAnnounce:    {queue: QueueDefault, retention: 24 * time.Hour},
	live.JobRemind:      {queue: QueueDefault, retention: 24 * time.Hour},
	live.JobReport:      {queue: QueueDefault, retention: 24 * time.Hour},
	live.JobDraw:        {queue: QueueCritical, retention: 24 * time.Hour},
	live.JobCancelled:   {queue: QueueDefault, retention: 24 * time.Hour},
	live.JobCallOff:     {queue: QueueCritical, retention: 24 * time.Hour},
	live.JobRateLowered: {queue: QueueDefault, retention: 24 * time.Hour},
	live.JobClaim:       {queue: QueueCritical, retention: 24 * time.Hour},
	live.JobLotPost:     {queue: QueueCritical},
	order.JobHeldEnded:  {queue: QueueCritical, retention: 24 * time.Hour},
}

// groupBuyRoutes maps the job kinds of group buys to their queue (see routes).
var groupBuyRoutes = map[string]route{
	groupbuy.JobClose:         {queue: QueueCritical, retention: 24 * time.Hour},
	groupbuy.JobInvoices:      {queue: QueueCritical, retention: 24 * time.Hour},
	groupbuy.JobFailed:        {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobCut:           {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobExtended:      {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobCancelled:     {queue: QueueCritical, retention: 24 * time.Hour},
	groupbuy.JobArrived:       {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobOffer:         {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobOfferEnd:      {queue: QueueDefault, retention: 24 * time.Hour},
	order.JobGroupEnded:       {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobReopened:      {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobUncollected:   {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobHandoverAsked: {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobHandedOver:    {queue: QueueCritical, retention: 24 * time.Hour},
	groupbuy.JobPayReminder:   {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobShipping:      {queue: QueueCritical, retention: 24 * time.Hour},
	groupbuy.JobJoinPay:       {queue: QueueDefault, retention: 24 * time.Hour},
	groupbuy.JobCallOff:       {queue: QueueCritical, retention: 24 * time.Hour},
	groupbuy.JobOwed:          {queue: QueueCritical, retention: 24 * time.Hour},
	groupbuy.JobCards:         {queue: QueueDefault}, // its key comes back with every change
}

// teamRoutes maps the job kinds of team buys to their queue (see routes).
var teamRoutes = map[string]route{
	order.JobTeam:     {queue: QueueCritical, retention: 24 * time.Hour},
	teambuy.JobExpire: {queue: QueueCritical, retention: 24 * time.Hour},
	teambuy.JobFilled: {queue: QueueDefault, retention: 24 * time.Hour},
	teambuy.JobFailed: {queue: QueueCritical, retention: 24 * time.Hour},
}
