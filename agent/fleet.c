/*
 * fleet.c - placeholder, filled in below.
 */
#include <stdio.h>

#include "agent.h"

int fleet_main(int argc, char **argv)
{
	fprintf(stderr, "sztp-agent fleet: not implemented yet\n");
	return 1;
}
